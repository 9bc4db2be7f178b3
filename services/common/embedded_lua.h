// Redis function libraries compiled into the binary (see cmake/embed_lua.cmake).
#pragma once

#include <string_view>

namespace infrashare {

extern const std::string_view kAuthLua;
extern const std::string_view kRegistryLua;
extern const std::string_view kSchedulerLua;
extern const std::string_view kDeskLua;
extern const std::string_view kProgrammeLua;
extern const std::string_view kRotationLua;
extern const std::string_view kCalendarFeedLua;
extern const std::string_view kWebhookLua;

}  // namespace infrashare
