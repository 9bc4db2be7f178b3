#include "services/desk/routing.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "services/common/availability.h"
#include "services/common/geo.h"
#include "services/common/regions.h"

namespace infrashare::desk {
namespace {

namespace reg = infrashare::registry;

SysSeconds ToSys(const google::protobuf::Timestamp& t) {
  return SysSeconds(std::chrono::seconds(t.seconds()));
}

int RegionScore(const v1::Inquiry& inquiry, const v1::Responder& responder) {
  const bool has_area = responder.has_base() && responder.radius_km() > 0;
  if (has_area && inquiry.has_location() &&
      HaversineKm(inquiry.location().latitude(), inquiry.location().longitude(),
                  responder.base().latitude(),
                  responder.base().longitude()) <= responder.radius_km())
    return 4;
  if (responder.regions().empty()) return has_area && inquiry.has_location() ? 0 : 1;
  if (inquiry.region().empty()) return 1;
  int best = 0;
  for (const auto& served : responder.regions()) {
    if (served == inquiry.region()) return 4;
    // A municipality lies in its COROP area and province, a COROP area in its province.
    if (RegionWithin(inquiry.region(), served)) best = 3;
  }
  return best;
}

int SharedThemes(const v1::Inquiry& inquiry, const v1::Responder& responder) {
  int shared = 0;
  for (int theme : inquiry.themes())
    if (std::find(responder.themes().begin(), responder.themes().end(), theme) !=
        responder.themes().end())
      ++shared;
  return shared;
}

std::string NeedTypeLabel(v1::NeedType need) {
  return absl::AsciiStrToLower(absl::StripPrefix(v1::NeedType_Name(need), "NEED_TYPE_"));
}

const date::time_zone* ZoneOf(const v1::Responder& responder) {
  const date::time_zone* zone = FindTimeZone(responder.time_zone());
  return zone ? zone : FindTimeZone(kDefaultTimeZone);
}

}  // namespace

std::vector<Interval> WorkingWindows(const v1::Responder& responder, SysSeconds from,
                                     SysSeconds to) {
  reg::v1::Availability hours;  // none: at work at any time, less the absences
  *hours.mutable_rules() = responder.working_hours();
  for (const auto& absence : responder.absences()) {
    auto* closure = hours.add_closures();
    *closure->mutable_start_time() = absence.start_time();
    *closure->mutable_end_time() = absence.end_time();
  }
  return OpenWindows(hours, ZoneOf(responder), from, to);
}

namespace {

// Why a responder cannot take an inquiry (kNone: it can), with the two scores FitScore adds up:
// computed once per responder on the dispatcher's path, in words only when Unfit is asked.
enum class Misfit { kNone, kSkill, kLanguage, kTheme, kPlace };
struct Assessment {
  Misfit misfit = Misfit::kNone;
  int shared_themes = 0;
  int region = 0;
};

Assessment Assess(const v1::Inquiry& inquiry, const v1::Responder& responder) {
  Assessment a;
  if (std::find(responder.skills().begin(), responder.skills().end(), inquiry.need_type()) ==
      responder.skills().end()) {
    a.misfit = Misfit::kSkill;
    return a;
  }
  if (!inquiry.language().empty() && !responder.languages().empty() &&
      std::find(responder.languages().begin(), responder.languages().end(), inquiry.language()) ==
          responder.languages().end()) {
    a.misfit = Misfit::kLanguage;
    return a;
  }
  a.shared_themes = SharedThemes(inquiry, responder);
  if (!inquiry.themes().empty() && a.shared_themes == 0 && !responder.themes().empty()) {
    a.misfit = Misfit::kTheme;
    return a;
  }
  // A referral names a partner elsewhere on purpose: only within the network does the place rule
  // out a responder.
  const bool referred =
      !inquiry.target_organization_id().empty() || !inquiry.target_responder_id().empty();
  a.region = RegionScore(inquiry, responder);
  if (!referred && a.region == 0) a.misfit = Misfit::kPlace;
  return a;
}

}  // namespace

std::string Unfit(const v1::Inquiry& inquiry, const v1::Responder& responder) {
  switch (Assess(inquiry, responder).misfit) {
    case Misfit::kNone:
      return "";
    case Misfit::kSkill:
      return "does not take " + NeedTypeLabel(inquiry.need_type()) + " questions (its skills)";
    case Misfit::kLanguage:
      return "does not answer in " + inquiry.language() + " (its languages)";
    case Misfit::kTheme:
      return "covers none of the inquiry's themes";
    case Misfit::kPlace:
      return "serves only elsewhere than the asker's region or location";
  }
  return "";
}

int FitScore(const v1::Inquiry& inquiry, const v1::Responder& responder) {
  const Assessment a = Assess(inquiry, responder);
  return a.misfit == Misfit::kNone ? 2 * a.shared_themes + a.region : -1;
}

bool Absent(const v1::Responder& responder, SysSeconds now) {
  for (const auto& a : responder.absences())
    if (ToSys(a.start_time()) <= now && now < ToSys(a.end_time())) return true;
  return false;
}

bool Working(const v1::Responder& responder, SysSeconds now) {
  if (Absent(responder, now)) return false;
  if (responder.working_hours().empty()) return true;
  return !WorkingWindows(responder, now, now + std::chrono::seconds(1)).empty();
}

SysSeconds AddWorkingTime(const v1::Responder& responder, SysSeconds from,
                          std::chrono::seconds amount) {
  // No hours and no absences: at work at any time. No hours with absences: any time less the
  // absences (an offer's clock stops while the responder is away, as it does outside hours).
  if (responder.working_hours().empty() && responder.absences().empty()) return from + amount;
  constexpr auto kChunk = std::chrono::hours(24 * 14);
  constexpr int kMaxChunks =
      26;  // a year: working hours that never come back are a modelling error
  std::chrono::seconds left = amount;
  SysSeconds cursor = from;
  for (int chunk = 0; chunk < kMaxChunks; ++chunk) {
    for (const auto& window : WorkingWindows(responder, cursor, cursor + kChunk)) {
      const SysSeconds start = std::max(window.start, cursor);
      const auto length = window.end - start;
      if (left <= length) return start + left;
      left -= std::chrono::duration_cast<std::chrono::seconds>(length);
    }
    cursor += kChunk;
  }
  return from + amount;
}

v1::Responder BusinessHours(const DeskConfig& config) {
  v1::Responder hours;
  hours.set_time_zone(config.time_zone);
  if (config.business_hours.empty() && config.closed_days.empty()) return hours;
  const auto rule =
      WeeklyHours(config.business_hours.empty() ? "MO-SU 00:00-24:00" : config.business_hours);
  if (rule) *hours.add_working_hours() = *rule;
  const date::time_zone* zone = ZoneOf(hours);
  for (const auto& text : config.closed_days) {
    const auto day = ParseDate(text);
    if (!day) continue;
    auto* closed = hours.add_absences();
    closed->mutable_start_time()->set_seconds(
        LocalToUtc(zone, date::local_days(*day)).time_since_epoch().count());
    closed->mutable_end_time()->set_seconds(
        LocalToUtc(zone, date::local_days(*day) + date::days(1)).time_since_epoch().count());
  }
  return hours;
}

int64_t BusinessDelayMs(const v1::Responder& hours, std::chrono::system_clock::time_point now,
                        std::chrono::seconds amount) {
  if (hours.working_hours().empty())
    return std::chrono::duration_cast<std::chrono::milliseconds>(amount).count();
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  return std::max<int64_t>(0, OfferDeadlineMs(hours, now, amount) - now_ms);
}

int64_t OfferDeadlineMs(const v1::Responder& responder, std::chrono::system_clock::time_point now,
                        std::chrono::seconds amount) {
  const SysSeconds deadline =
      AddWorkingTime(responder, std::chrono::ceil<std::chrono::seconds>(now), amount);
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline.time_since_epoch()).count();
}

RouteDecision Decide(const v1::Inquiry& inquiry, const std::vector<Candidate>& candidates,
                     const RoutingPolicy& policy) {
  RouteDecision decision;
  if (inquiry.attempts() >= policy.max_attempts) {
    decision.kind = RouteDecision::Kind::kEscalate;
    decision.cause = "nobody accepted after " + std::to_string(inquiry.attempts()) + " offers";
    return decision;
  }
  struct Ranked {
    int fit;
    bool working;
    double load;
    int64_t last_offer;
    const std::string* id;
  };
  std::vector<Ranked> free;
  bool any_fit = false;
  for (const auto& c : candidates) {
    const int fit = FitScore(inquiry, *c.responder);
    if (fit < 0) continue;
    any_fit = true;
    if (!c.load.online || c.load.open >= c.load.capacity || c.absent) continue;
    free.push_back({fit, c.working, static_cast<double>(c.load.open) / std::max(1, c.load.capacity),
                    c.load.last_offer_ms, &c.responder->id()});
  }
  if (!any_fit) {
    decision.kind = RouteDecision::Kind::kEscalate;
    decision.cause = inquiry.attempts() == 0
                         ? "no responder fits this inquiry"
                         : "every responder who fits has declined it or let the offer lapse";
    return decision;
  }
  if (free.empty()) {
    decision.kind = RouteDecision::Kind::kQueue;
    return decision;
  }
  std::sort(free.begin(), free.end(), [](const Ranked& a, const Ranked& b) {
    return std::make_tuple(-a.fit, !a.working, a.load, a.last_offer, *a.id) <
           std::make_tuple(-b.fit, !b.working, b.load, b.last_offer, *b.id);
  });
  decision.kind = RouteDecision::Kind::kOffer;
  for (size_t i = 0; i < free.size() && static_cast<int>(i) < std::max(1, policy.pool_size); ++i)
    decision.responder_ids.push_back(*free[i].id);
  return decision;
}

}  // namespace infrashare::desk
