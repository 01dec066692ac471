# The library exit_dtor_free is linked with: built next to it.
add_library(dtor_free SHARED ${CMAKE_CURRENT_SOURCE_DIR}/victims/plugins/dtor_free.c)
target_compile_options(dtor_free PRIVATE -g -O0 -fno-omit-frame-pointer)
set_target_properties(dtor_free PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/victims)
target_link_libraries(exit_dtor_free PRIVATE dtor_free)
