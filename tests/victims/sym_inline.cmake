target_compile_options(sym_inline PRIVATE -O2)
