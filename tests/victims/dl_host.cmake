# The plugin dl_host loads: built next to it.
add_library(dl_plugin SHARED ${CMAKE_CURRENT_SOURCE_DIR}/victims/plugins/dl_plugin.c)
target_compile_options(dl_plugin PRIVATE -g -O0 -fno-omit-frame-pointer)
set_target_properties(dl_plugin PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/victims)
add_dependencies(dl_host dl_plugin)
