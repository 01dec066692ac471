# The same victim built as production code is (-O2, no frame pointers): a
# frame's step reads its return address only, one word of the path a frame.
add_executable(unwind_deep_paths_O2 ${CMAKE_CURRENT_SOURCE_DIR}/victims/unwind_deep_paths.c)
target_compile_options(unwind_deep_paths_O2 PRIVATE -g -O2 -fomit-frame-pointer -Wall)
set_target_properties(unwind_deep_paths_O2 PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/victims)
