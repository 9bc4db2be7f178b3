#include "services/http/routes.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "services/common/availability.h"
#include "services/common/clock.h"
#include "services/common/errors.h"
#include "services/common/logging.h"
#include "services/common/recurrence.h"
#include "services/http/feeds.h"
#include "services/impact/export.h"
#include "services/programme/calendar.h"
#include "services/scheduler/calendar_feeds.h"

namespace infrashare::http {
namespace {

using google::protobuf::util::TimeUtil;

// What every resource feed starts from: the listed resources the filter accepts, in id order,
// each with its next public events.
absl::StatusOr<std::vector<PublishedResource>> Listed(registry::RegistryReadModel* model,
                                                      const ProgrammeView& programme,
                                                      int events_per_resource,
                                                      const HttpQuery& query) {
  auto filter = ParseFeedFilter(query);
  if (!filter.ok()) return filter.status();
  if (!filter->network.empty()) {
    auto members = model->Members(filter->network);
    if (!members.ok()) return members.status();
    if (!*members) return InvalidField("network", "is not a network's id");
  }
  std::vector<PublishedResource> out;
  for (const auto& facts : model->Select([&](const registry::v1::Resource& r) {
         return r.publication().listed() && filter->Accepts(r);
       }))
    if (auto published =
            Publish(facts, model->Organization(facts.resource->owner_organization_id()),
                    model->OrganizationName(facts.resource->owner_organization_id())))
      out.push_back(std::move(*published));
  if (programme.reader == nullptr || events_per_resource <= 0) return out;
  const int64_t now = NowMs();
  auto with_events = programme.resources_with_events(now);
  if (!with_events.ok()) return with_events.status();
  for (auto& p : out) {
    if (!with_events->count(p.resource.id())) continue;
    auto events =
        programme.reader->UpcomingPublicEventsOfResource(p.resource.id(), now, events_per_resource);
    if (!events.ok()) return events.status();
    p.events = std::move(*events);
  }
  return out;
}

// Whether the feeds show this resource (listed by its owner, not retired): its events are public
// only then.
bool IsPublished(registry::RegistryReadModel* model, const std::string& resource_id) {
  auto facts = model->Cached(resource_id);
  return facts && facts->resource->publication().listed() &&
         facts->resource->lifecycle().state() != registry::v1::LIFECYCLE_STATE_RETIRED;
}

// A page of web/ (config http.static_dir) under a path without its extension: /map, /impact.
HttpRoute Page(const HttpConfig& config, const std::string& file) {
  return [path = config.static_dir + "/" + file](const HttpQuery&) -> HttpReply {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Problem(404, "this listener serves no pages (http.static_dir)");
    return {200, "text/html; charset=utf-8",
            std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>())};
  };
}

// An error of an open-data feed as its HTTP status: an unreachable store is 503, the server's own
// failure 500 (logged; its words are not the caller's business), anything else the request's
// mistake (400, naming the parameter).
HttpReply Refused(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable: {
      HttpReply reply = Problem(503, "the store is unreachable; try again");
      reply.retry_after_s = 1;
      return reply;
    }
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      logging::Error("an open-data feed could not be made",
                     {{"code", absl::StatusCodeToString(status.code())},
                      {"message", std::string(status.message())}});
      return Problem(500, "the feed could not be made");
    default:
      return Problem(400, std::string(status.message()), ErrorField(status));
  }
}

HttpReply NotReady() {
  HttpReply reply = Problem(503, "the registry is still loading");
  reply.retry_after_s = 1;
  return reply;
}

// A feed of the listed resources, rendered by `render`.
HttpRoute ResourceFeed(
    registry::RegistryReadModel* model, const ProgrammeView& programme, int events_per_resource,
    std::string content_type,
    std::function<std::string(const std::vector<PublishedResource>&, const HttpQuery&)> render) {
  return [model, programme, events_per_resource, content_type = std::move(content_type),
          render = std::move(render)](const HttpQuery& query) -> HttpReply {
    if (!model->ready()) return NotReady();
    auto listed = Listed(model, programme, events_per_resource, query);
    if (!listed.ok()) return Refused(listed.status());
    return {200, content_type, render(*listed, query)};
  };
}

// The public events of one resource (?resource=) or one network (?network=) as iCalendar.
HttpRoute ProgrammeCalendar(registry::RegistryReadModel* model, const ProgrammeView& programme) {
  return [model, programme](const HttpQuery& query) -> HttpReply {
    if (programme.reader == nullptr)
      return Problem(404, "this server does not run the programme (--services)");
    auto resource = query.find("resource");
    auto network = query.find("network");
    if (query.size() != 1 || (resource == query.end() && network == query.end()))
      return Problem(400, "give exactly one of resource= and network=",
                     query.empty() ? "resource" : query.begin()->first);
    constexpr int kMostEvents = 500;
    absl::StatusOr<std::vector<programme::v1::Event>> events;
    std::string name;
    if (resource != query.end()) {
      // A resource its owner did not list (or retired) has no public calendar either, not even
      // its name.
      if (!IsPublished(model, resource->second))
        return Problem(404, "no listed resource has this id", "resource");
      name = model->Cached(resource->second)->resource->display_name();
      events =
          programme.reader->UpcomingPublicEventsOfResource(resource->second, NowMs(), kMostEvents);
    } else {
      auto members = model->Members(network->second);
      if (!members.ok()) return Refused(members.status());
      if (!*members) return Problem(404, "no network has this id", "network");
      name = network->second;
      events =
          programme.reader->UpcomingPublicEventsOfNetwork(network->second, NowMs(), kMostEvents);
    }
    if (!events.ok()) return Refused(events.status());
    // A network's public events at a resource its owner did not list stay off the public feed.
    events->erase(std::remove_if(events->begin(), events->end(),
                                 [&](const programme::v1::Event& e) {
                                   return !e.resource_id().empty() &&
                                          !IsPublished(model, e.resource_id());
                                 }),
                  events->end());
    // Only listed resources' events are left, and a listed resource's address is public.
    auto ical = programme::EventsToICalendar(
        *events, name,
        [model](const std::string& id) -> std::shared_ptr<const registry::v1::Resource> {
          auto facts = model->Cached(id);
          return facts ? facts->resource : nullptr;
        });
    if (!ical.ok()) return Refused(ical.status());
    return {200, "text/calendar; charset=utf-8", *ical};
  };
}

// An error of the impact report as the page's HTTP status.
HttpReply ImpactRefusal(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return Problem(400, std::string(status.message()), ErrorField(status));
    case absl::StatusCode::kUnauthenticated:
      return Problem(401, std::string(status.message()));
    case absl::StatusCode::kPermissionDenied:
      return Problem(403, std::string(status.message()));
    case absl::StatusCode::kNotFound:
      return Problem(404, std::string(status.message()), "network");
    case absl::StatusCode::kResourceExhausted: {
      HttpReply reply = Problem(429, std::string(status.message()));
      int64_t retry_ms = 1000;
      if (!absl::SimpleAtoi(ErrorMetadata(status, "retry_after_ms"), &retry_ms)) retry_ms = 1000;
      reply.retry_after_s = static_cast<int>(std::clamp<int64_t>((retry_ms + 999) / 1000, 1, 3600));
      return reply;
    }
    case absl::StatusCode::kUnavailable: {
      HttpReply reply = Problem(503, "the store is unreachable; try again");
      reply.retry_after_s = 1;
      return reply;
    }
    default:
      return Problem(500, "the report could not be made");
  }
}

// ?from=YYYY-MM-DD as the start of that day in the Netherlands (midnight in Europe/Amsterdam).
absl::StatusOr<google::protobuf::Timestamp> Day(const HttpQuery& query, const std::string& name) {
  auto found = query.find(name);
  const auto day = found == query.end() ? std::nullopt : ParseDate(found->second);
  // The years a request may name are the gate's bounds (CheckRequest below says which).
  if (!day) return InvalidField(name, "must be a date, YYYY-MM-DD");
  google::protobuf::Timestamp out;
  out.set_seconds(LocalToUtc(FindTimeZone(kDefaultTimeZone), date::local_days(*day))
                      .time_since_epoch()
                      .count());
  return out;
}

// The month (Amsterdam time) `seconds` lies in, and when a month begins there.
date::year_month DutchMonthOf(int64_t seconds) {
  const date::year_month_day day(date::floor<date::days>(
      FindTimeZone(kDefaultTimeZone)->to_local(SysSeconds(std::chrono::seconds(seconds)))));
  return day.year() / day.month();
}
SysSeconds MonthStart(date::year_month month) {
  return LocalToUtc(FindTimeZone(kDefaultTimeZone), date::local_days(month / 1));
}

// The start of the Dutch month `seconds` lies in, or of the next one when `up` and it is not a
// month's start: a public summary covers whole months, so it cannot be narrowed to one booking's
// day.
int64_t MonthEdge(int64_t seconds, bool up) {
  const date::year_month month = DutchMonthOf(seconds);
  SysSeconds edge = MonthStart(month);
  if (up && edge.time_since_epoch().count() < seconds) edge = MonthStart(month + date::months(1));
  return edge.time_since_epoch().count();
}

// The start of as many whole months (Amsterdam time) before `start` as [start, end) spans, both
// being month edges: the public summary's previous period.
int64_t MonthsBefore(int64_t start, int64_t end) {
  const date::year_month first = DutchMonthOf(start);
  return MonthStart(first - (DutchMonthOf(end) - first)).time_since_epoch().count();
}

// GET /impact/report.json?network=&from=&to=: the ImpactReport as JSON, for a coordinator's or
// platform admin's token (Authorization: Bearer), or without one for a network that opted in.
HttpCallerRoute ImpactReportRoute(const ImpactView& impact) {
  return [impact](const HttpQuery& query, const std::string& authorization) -> HttpReply {
    if (impact.reporter == nullptr)
      return Problem(404, "this server does not run the impact report (--services)");
    for (const auto& [name, value] : query)
      if (name != "network" && name != "from" && name != "to")
        return Problem(400, "unknown parameter", name);
    impact::v1::ImpactReportRequest request;
    if (auto network = query.find("network"); network != query.end())
      request.set_network_id(network->second);
    auto from = Day(query, "from");
    if (!from.ok()) return ImpactRefusal(from.status());
    auto to = Day(query, "to");
    if (!to.ok()) return ImpactRefusal(to.status());
    *request.mutable_start_time() = *from;
    *request.mutable_end_time() = *to;
    // The bounds the gRPC gate holds every request to (times, string sizes); the report checks
    // its period itself.
    if (auto bounded = CheckRequest(request, impact.limits); !bounded.ok())
      return ImpactRefusal(bounded);
    absl::StatusOr<impact::v1::ImpactReport> report;
    if (!authorization.empty()) {
      // The scheme's name is case-insensitive (RFC 9110 11.1).
      if (!absl::StartsWithIgnoreCase(authorization, "Bearer "))
        return Problem(401, "give the token as Authorization: Bearer <token>");
      auto caller = impact.tokens->Resolve(absl::StripAsciiWhitespace(authorization.substr(7)));
      if (!caller.ok()) return ImpactRefusal(caller.status());
      // A token scoped to other services may not read this over HTTP either.
      if (!caller->MayCall("impact.GetImpactReport"))
        return Problem(403, "this token is scoped to other services; it may not read the report");
      // Counted against the token's and organisation's limits as the same report over gRPC is.
      if (impact.limiter != nullptr)
        if (auto allowed = impact.limiter->Take(*caller, "impact.GetImpactReport"); !allowed.ok())
          return ImpactRefusal(allowed);
      report = impact.reporter->Report(*caller, request);
    } else {
      if (request.network_id().empty())
        return Problem(401, "the report of every network needs a platform admin's token");
      auto stored = impact.registry->Get(registry::kNetworkKind, request.network_id());
      if (!stored.ok()) return ImpactRefusal(stored.status());
      // An unknown network gets the same answer as one that did not opt in: anonymous callers
      // must not learn which networks exist (a token's holder still gets 404, from the report).
      registry::v1::Network network;
      if (!stored->has_value() || !network.ParseFromString(**stored) || !network.public_impact())
        return Problem(401, "this network publishes no impact summary: give a coordinator's token");
      request.mutable_start_time()->set_seconds(MonthEdge(request.start_time().seconds(), false));
      request.mutable_end_time()->set_seconds(MonthEdge(request.end_time().seconds(), true));
      report = impact.reporter->PublicReport(
          request,
          MonthsBefore(request.start_time().seconds(), request.end_time().seconds()) * 1000);
    }
    if (!report.ok()) return ImpactRefusal(report.status());
    return {200, "application/json", impact::ToJson(*report)};
  };
}

// GET /calendar/<secret>.ics: a calendar feed's bookings. Whatever the reason there is none (never
// made, revoked, lapsed, or no scheduler in this process), the same 404.
HttpSecretRoute CalendarFeedRoute(const CalendarFeedView& feeds) {
  return [feeds](const std::string& secret) -> HttpReply {
    if (!feeds.calendar) return Problem(404, "no calendar feed has this address");
    auto calendar = feeds.calendar(secret);
    if (calendar.ok()) return {200, "text/calendar; charset=utf-8", std::move(*calendar)};
    if (calendar.status().code() == absl::StatusCode::kNotFound)
      return Problem(404, "no calendar feed has this address");
    if (calendar.status().code() == absl::StatusCode::kUnavailable) {
      HttpReply reply = Problem(503, "the store is unreachable; try again");
      reply.retry_after_s = 1;
      return reply;
    }
    logging::Error("a calendar feed could not be made",
                   {{"code", absl::StatusCodeToString(calendar.status().code())},
                    {"message", std::string(calendar.status().message())}});
    return Problem(500, "the calendar could not be made");
  };
}

}  // namespace

void RegisterRoutes(registry::RegistryReadModel* model, const ProgrammeView& programme,
                    const ImpactView& impact, const CalendarFeedView& calendar_feeds,
                    const HttpConfig& config, PublicSite* site) {
  site->CallerRoute("/impact/report.json", ImpactReportRoute(impact));
  site->SecretRoute(std::string(scheduler::CalendarFeeds::kPathPrefix),
                    std::string(scheduler::CalendarFeeds::kPathSuffix),
                    CalendarFeedRoute(calendar_feeds));
  const int per_resource = config.events_per_resource;
  site->Route("/open/resources.geojson",
              ResourceFeed(model, programme, per_resource, "application/geo+json",
                           [](const auto& listed, const HttpQuery&) { return GeoJson(listed); }));
  site->Route("/open/resources.jsonld",
              ResourceFeed(model, programme, per_resource, "application/ld+json",
                           [](const auto& listed, const HttpQuery&) { return JsonLd(listed); }));
  site->Route("/open/programme.ics", ProgrammeCalendar(model, programme));
  site->Route("/map", Page(config, "map.html"));
  site->Route("/impact", Page(config, "impact.html"));
  site->Route("/map/config.json", [config](const HttpQuery&) -> HttpReply {
    nlohmann::ordered_json settings = {{"tile_url", config.tile_url},
                                       {"attribution", config.tile_attribution},
                                       {"center", {52.2, 5.3}},
                                       {"zoom", 7}};
    return {200, "application/json", settings.dump()};
  });
  site->Route("/open/resources.csv",
              ResourceFeed(model, programme, 0, "text/csv; charset=utf-8; header=present",
                           [](const auto& listed, const HttpQuery& query) {
                             auto dialect = query.find("dialect");
                             return Csv(listed, dialect != query.end() && dialect->second == "excel"
                                                    ? CsvDialect::kExcel
                                                    : CsvDialect::kRfc4180);
                           }));
  site->Route("/open/catalog.jsonld", [model, config, site](const HttpQuery& query) -> HttpReply {
    if (!query.empty())
      return Problem(400, "the catalogue takes no parameters", query.begin()->first);
    if (!model->ready()) return NotReady();
    CatalogInfo info{site->BaseUrl(),      config.publisher, config.publisher_url,
                     config.contact_email, config.license,   ""};
    auto listed = Listed(model, {}, 0, {});
    if (!listed.ok()) return Refused(listed.status());
    google::protobuf::Timestamp newest;
    for (const auto& p : *listed)
      if (p.resource.audit().update_time() > newest) newest = p.resource.audit().update_time();
    if (newest.seconds() > 0) info.modified = TimeUtil::ToString(newest);
    return {200, "application/ld+json", Catalog(info)};
  });
}

}  // namespace infrashare::http
