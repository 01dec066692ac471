# A unit check of the tracer's own math against libm: it includes the
# header, built as the library is (-O2).
target_include_directories(sample_math PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_options(sample_math PRIVATE -O2)
target_link_libraries(sample_math PRIVATE m)
