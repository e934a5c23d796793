# ferry_add_plugin(<target> <sources>...): builds a ferry plugin as a loadable module.
# Hidden visibility keeps everything but ferry_plugin_entry private to the plugin, so two plugins
# never share the SDK's inline state. Set FERRY_PLUGIN_OUTPUT_DIR to choose where it lands.
function(ferry_add_plugin target)
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE ferry::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(FERRY_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${FERRY_PLUGIN_OUTPUT_DIR}")
  endif()
endfunction()
