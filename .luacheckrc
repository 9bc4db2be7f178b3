-- luacheck for the Redis functions (issue #13), run by scripts/check-format in `make test`.
-- Each library is prelude.lua followed by one service's file (services/common/embedded_lua.h):
-- prelude's local helpers are visible to every service file, and unused in prelude itself.
std = "lua51"
max_line_length = 100
read_globals = {"redis", "cjson", "cmsgpack", "struct", "bit", "named", "register",
                "replay_get", "replay_put", "now_ms", "int_text", "read_hash", "bytes_le"}
-- Every registered function takes (keys, args); not each one reads both.
ignore = {"212/keys", "212/args"}
files["services/common/prelude.lua"] = {ignore = {"211"}}
