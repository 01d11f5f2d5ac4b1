# Lua scripts live in .lua files next to the C++ that runs them; the build
# embeds each as a string constant in a generated header:
#
#   gnlc_lua(gnlc_enrollment NAMESPACE gnlc::enrollment FILES lua/enroll.lua)
#   #include "services/enrollment/lua/enroll.lua.h"   // gnlc::enrollment::kEnrollLua
#
# The constant is k + the file name in CamelCase + Lua. Headers go under
# ${PROJECT_BINARY_DIR}/gen, mirroring the source tree.
function(gnlc_lua target)
  cmake_parse_arguments(ARG "" "NAMESPACE" "FILES" ${ARGN})
  set(gen_root ${PROJECT_BINARY_DIR}/gen)
  set(headers)
  foreach(file IN LISTS ARG_FILES)
    set(lua ${CMAKE_CURRENT_SOURCE_DIR}/${file})
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${lua})
    set(header ${gen_root}/${rel}.h)
    get_filename_component(stem ${file} NAME_WE)
    string(REPLACE "_" ";" words ${stem})
    set(name "k")
    foreach(word IN LISTS words)
      string(SUBSTRING ${word} 0 1 first)
      string(TOUPPER ${first} first)
      string(SUBSTRING ${word} 1 -1 rest)
      string(APPEND name ${first}${rest})
    endforeach()
    string(APPEND name "Lua")
    add_custom_command(
      OUTPUT ${header}
      COMMAND ${CMAKE_COMMAND} -DLUA=${lua} -DHEADER=${header} -DNAMESPACE=${ARG_NAMESPACE}
              -DNAME=${name} -DROOT=${PROJECT_SOURCE_DIR} -P ${PROJECT_SOURCE_DIR}/cmake/embed_lua.cmake
      DEPENDS ${lua} ${PROJECT_SOURCE_DIR}/cmake/embed_lua.cmake
      COMMENT "Embedding ${rel}"
      VERBATIM)
    list(APPEND headers ${header})
  endforeach()
  target_sources(${target} PRIVATE ${headers})
  target_include_directories(${target} PUBLIC ${gen_root})
endfunction()
