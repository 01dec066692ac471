# fd_numbers_ctor: the same program linked with a library whose constructor
# allocates before the tracer's constructor runs (plugins/ctor_alloc.c).
add_library(ctor_alloc SHARED ${CMAKE_CURRENT_SOURCE_DIR}/victims/plugins/ctor_alloc.c)
target_compile_options(ctor_alloc PRIVATE -g -O0 -fno-omit-frame-pointer)
set_target_properties(ctor_alloc PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/victims)
add_executable(fd_numbers_ctor ${CMAKE_CURRENT_SOURCE_DIR}/victims/fd_numbers.c)
target_compile_options(fd_numbers_ctor PRIVATE -g -O0 -fno-omit-frame-pointer -Wall)
# --no-as-needed: the program uses nothing of it, yet must load it
target_link_libraries(fd_numbers_ctor PRIVATE -Wl,--no-as-needed ctor_alloc)
set_target_properties(fd_numbers_ctor PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/victims)
