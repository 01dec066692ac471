# Linked with the plugin dl_host loads (dl_host.cmake builds it).
target_link_libraries(thread_cancel PRIVATE dl_plugin)
