target_link_options(${name} PRIVATE -static-libstdc++ -static-libgcc)
