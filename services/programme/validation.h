// What a valid event and registration are: the programme's rules, once, for every handler.
#pragma once

#include "absl/status/status.h"
#include "infrashare/programme/v1/programme.pb.h"

namespace infrashare::programme {

// The longest event (a hackathon week, a course block): ListEvents finds events by their start
// within this much before the window.
inline constexpr int64_t kMaxEventMs = 31LL * 24 * 3600 * 1000;
inline constexpr int kMaxCapacity = 100000;
inline constexpr int kMaxPlacesPerRegistration = 100;

// Fills defaults (zone Europe/Amsterdam, language "nl", visibility NETWORK) and checks the fields a
// client sets: INVALID_ARGUMENT naming every bad one.
absl::Status NormalizeEvent(v1::Event* event);

// A registration: a named person needs a name and an e-mail address (folded here), places
// from 1 (0 = 1) to kMaxPlacesPerRegistration.
absl::Status NormalizeRegistration(v1::RegisterRequest* request);

}  // namespace infrashare::programme
