# Writes a C++ source holding a text file as a string_view (data shipped inside the binary, such
# as CBS' municipality table). Run by infrashare_embed_text() at build time.
file(READ ${SOURCE} source)
string(FIND "${source}" ")__text__\"" delimiter)
if(NOT delimiter EQUAL -1)
  message(FATAL_ERROR "${SOURCE} holds )__text__\", which would end the raw string literal early")
endif()
file(WRITE ${OUTPUT}
  "// Generated from ${SOURCE}; do not edit.\n"
  "#include <string_view>\n"
  "namespace infrashare {\n"
  "extern const std::string_view ${VARIABLE};\n"
  "const std::string_view ${VARIABLE} = R\"__text__(${source})__text__\";\n"
  "}  // namespace infrashare\n")
