// How the desk decides who gets an inquiry, and by when they must accept it. Pure domain code: no
// gRPC, no Redis; the dispatcher feeds it what it read and commits what it decides atomically.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "infrashare/desk/v1/desk.pb.h"
#include "services/common/config.h"
#include "services/common/recurrence.h"

namespace infrashare::desk {

// What routing needs to know of a responder beyond its profile, read at decision time.
struct ResponderLoad {
  bool online = false;
  int open = 0;  // offered + assigned
  int capacity = 1;
  int64_t last_offer_ms = 0;
};

struct Candidate {
  const v1::Responder* responder = nullptr;
  ResponderLoad load;
  bool working = true;  // inside its working hours now (see Working)
  bool absent = false;  // on leave now (see Absent)
};

// Why `responder` cannot take `inquiry` at all, "" when it can: it lacks the need type or the
// language, lists themes but none of the inquiry's, or (unless the inquiry was referred to its
// organisation or to it by name) serves only elsewhere. A referral chooses a partner; it never
// makes one fit that does not take the question.
std::string Unfit(const v1::Inquiry& inquiry, const v1::Responder& responder);

// How well `responder` fits `inquiry`: -1 when Unfit says why not, otherwise higher is better: two
// points per shared theme, and for the place four when it serves exactly that region or the
// asker's location lies within its area (base + radius), three when it serves an area the region
// lies in (municipality in COROP area or province, COROP area in province), one when it serves
// anywhere (no regions, no area), none when it serves only elsewhere (a referral target only).
int FitScore(const v1::Inquiry& inquiry, const v1::Responder& responder);

// Inside working hours and not absent at `now`. No working hours = around the clock.
bool Working(const v1::Responder& responder, SysSeconds now);
bool Absent(const v1::Responder& responder, SysSeconds now);
// The responder's working time within [from, to): working hours minus absences, merged.
std::vector<Interval> WorkingWindows(const v1::Responder& responder, SysSeconds from,
                                     SysSeconds to);

// `from` plus `amount` of the responder's working time (its working hours minus absences, in its
// time zone, DST-correct). Around the clock when it has no working hours.
SysSeconds AddWorkingTime(const v1::Responder& responder, SysSeconds from,
                          std::chrono::seconds amount);

// The deadline of an offer made at `now` that gives the responder `amount` of working time, in
// milliseconds since the epoch. Counted from the next whole second (never shorter than `amount`),
// so it falls on a whole second of the clock, as the desk's other deadlines do (docs/desk.md).
int64_t OfferDeadlineMs(const v1::Responder& responder, std::chrono::system_clock::time_point now,
                        std::chrono::seconds amount);

// The desk's business hours (desk.business_hours less desk.closed_days, in desk.time_zone) as a
// responder's working hours, so that they share AddWorkingTime; neither set: around the clock.
// The configuration must have passed LoadConfig's checks.
v1::Responder BusinessHours(const DeskConfig& config);

// How long after `now` `amount` of the desk's business time has passed, in milliseconds: the
// delay of a queue wait or an escalation that begins at `now`.
int64_t BusinessDelayMs(const v1::Responder& hours, std::chrono::system_clock::time_point now,
                        std::chrono::seconds amount);

struct RoutingPolicy {
  int pool_size = 1;     // responders offered at once
  int max_attempts = 3;  // offers before the inquiry escalates
};

struct RouteDecision {
  enum class Kind { kOffer, kQueue, kEscalate };
  Kind kind = Kind::kQueue;
  std::vector<std::string> responder_ids;  // kOffer: best first
  std::string cause;                       // kEscalate: why
  // kEscalate: other networks with responders who cover the inquiry, best first (the dispatcher
  // fills this in; Decide knows one network only).
  std::vector<std::string> suggested_networks{};
};

// `candidates` are the responders in the inquiry's reach (its network, or its referral target) that
// have not declined it, with `working` and `absent` filled in for `now`. Offers to the best
// `pool_size` who are online, present and below capacity,
// ranked by fit, then working now, then least loaded (open / capacity), then longest since their
// last offer (round robin among equals), then id. Queues when some fit but none is free;
// escalates when none fits or after `max_attempts` offers.
RouteDecision Decide(const v1::Inquiry& inquiry, const std::vector<Candidate>& candidates,
                     const RoutingPolicy& policy);

}  // namespace infrashare::desk
