# Without frame pointers, so that big_frame_leak's CFA rule is rsp + 1.2 MB.
target_compile_options(unwind_big_frame PRIVATE -O2 -fomit-frame-pointer)
