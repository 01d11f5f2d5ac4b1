# Writes a header holding one Lua file as a C++ string (run by gnlc_lua()):
#   cmake -DLUA=in.lua -DHEADER=out.h -DNAMESPACE=gnlc::x -DNAME=kFoo -P embed_lua.cmake
file(READ "${LUA}" source)
string(FIND "${source}" ")lua\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${LUA} contains the raw-string delimiter )lua\"")
endif()
file(RELATIVE_PATH shown "${ROOT}" "${LUA}")
set(text "// Generated from ${shown} by cmake/embed_lua.cmake: edit the .lua file.\n")
string(APPEND text "#pragma once\n#include \"absl/strings/string_view.h\"\n")
string(APPEND text "namespace ${NAMESPACE} {\n")
string(APPEND text "inline constexpr absl::string_view ${NAME} = R\"lua(${source})lua\";\n")
string(APPEND text "}  // namespace ${NAMESPACE}\n")
# Rewritten only when it changes, so an unchanged script rebuilds nothing.
file(WRITE "${HEADER}.tmp" "${text}")
file(COPY_FILE "${HEADER}.tmp" "${HEADER}" ONLY_IF_DIFFERENT)
file(REMOVE "${HEADER}.tmp")
