# The same victim built as production code is (-O2, no frame pointers): no
# rule reads rbp there, so the base's check reads return addresses only.
add_executable(unwind_shared_base_O2 ${CMAKE_CURRENT_SOURCE_DIR}/victims/unwind_shared_base.c)
target_compile_options(unwind_shared_base_O2 PRIVATE -g -O2 -fomit-frame-pointer -Wall)
set_target_properties(unwind_shared_base_O2 PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/victims)
