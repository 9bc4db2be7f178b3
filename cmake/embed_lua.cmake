# Writes a C++ source holding a Redis function library: the "#!lua name=..." line, the shared
# prelude, then the library. Run by infrashare_embed_lua() at build time. The library name carries
# the calling convention's version, as the function names do (services/common/redis_function.h).
file(READ ${PRELUDE} prelude)
file(READ ${SOURCE} source)
file(WRITE ${OUTPUT}
  "// Generated from ${SOURCE}; do not edit.\n"
  "#include <string_view>\n"
  "namespace infrashare {\n"
  "extern const std::string_view ${VARIABLE};\n"
  "const std::string_view ${VARIABLE} = R\"__lua__(#!lua name=${LIBRARY}_v2\n${prelude}\n${source})__lua__\";\n"
  "}  // namespace infrashare\n")
