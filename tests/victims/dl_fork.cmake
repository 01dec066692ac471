# Loads the plugin dl_host builds (dl_host.cmake).
add_dependencies(dl_fork dl_plugin)
