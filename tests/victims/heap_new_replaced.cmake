target_compile_options(${name} PRIVATE -std=c++17 -fsized-deallocation)
