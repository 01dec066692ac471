# The plugin upgrade_host loads, in two builds with other unwind rules
# (without frame pointers, so the rules are rsp-based).
foreach(variant a b)
  add_library(upgrade_${variant} SHARED ${CMAKE_CURRENT_SOURCE_DIR}/victims/plugins/upgrade_plugin.c)
  target_compile_options(upgrade_${variant} PRIVATE -g -O2 -fomit-frame-pointer)
  set_target_properties(upgrade_${variant} PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/victims)
  add_dependencies(upgrade_host upgrade_${variant})
endforeach()
target_compile_definitions(upgrade_b PRIVATE UPGRADED)
