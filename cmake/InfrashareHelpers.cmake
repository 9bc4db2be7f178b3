# Embeds a Redis function library (.lua) into `target` as `const std::string_view <variable>`.
function(infrashare_embed_lua target variable library_name lua_file)
  set(prelude ${CMAKE_SOURCE_DIR}/services/common/prelude.lua)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${variable}.cc)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DVARIABLE=${variable} -DLIBRARY=${library_name} -DPRELUDE=${prelude}
            -DSOURCE=${lua_file} -DOUTPUT=${out} -P ${CMAKE_SOURCE_DIR}/cmake/embed_lua.cmake
    DEPENDS ${prelude} ${lua_file} ${CMAKE_SOURCE_DIR}/cmake/embed_lua.cmake
    COMMENT "Embedding ${lua_file}")
  target_sources(${target} PRIVATE ${out})
endfunction()

# Embeds a text file as `const std::string_view variable` (namespace infrashare) in `target`.
function(infrashare_embed_text target variable text_file)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${variable}.cc)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DVARIABLE=${variable} -DSOURCE=${text_file} -DOUTPUT=${out}
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_text.cmake
    DEPENDS ${text_file} ${CMAKE_SOURCE_DIR}/cmake/embed_text.cmake
    COMMENT "Embedding ${text_file}")
  target_sources(${target} PRIVATE ${out})
endfunction()

# Our own code: warnings are errors.
function(infrashare_strict target)
  target_compile_options(${target} PRIVATE ${INFRASHARE_WARNINGS})
  target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR})
endfunction()
