# Optimized as the coroutine code it stands for; frame pointers kept, so that
# the junk rbp is what the CFA rules read.
target_compile_options(unwind_unlimited_stack PRIVATE -O2 -fno-omit-frame-pointer)
