#include "services/http/feeds.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/errors.h"
#include "services/common/regions.h"

namespace infrashare::http {
namespace v1 = registry::v1;
using Json = nlohmann::ordered_json;
namespace {

std::string Dump(const Json& json) {
  // Replace rather than throw on bytes that are not UTF-8: the registry stores valid UTF-8, and a
  // feed must not fail as a whole for one bad string.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string Euros(int64_t cents) { return absl::StrFormat("%d.%02d", cents / 100, cents % 100); }

std::vector<std::string> Themes(const v1::Resource& r) {
  std::vector<std::string> out;
  for (int t : r.themes()) out.push_back(ThemeName(static_cast<v1::Theme>(t)));
  return out;
}

std::vector<std::string> ContactRoles(const v1::Resource& r) {
  std::vector<std::string> out;
  for (const auto& s : r.staff()) out.push_back(StaffRoleName(s.role()));
  return out;
}

const v1::Location* WhereIs(const v1::Resource& r) {
  if (r.has_location()) return &r.location();
  if (r.has_home_base()) return &r.home_base();
  return nullptr;
}

std::string RuleText(const v1::AvailabilityRule& rule) {
  std::string out = absl::StrCat(rule.rrule(), " ", rule.start_time(), " ", rule.duration_minutes(),
                                 "min from ", rule.valid_from());
  if (!rule.valid_until().empty()) absl::StrAppend(&out, " until ", rule.valid_until());
  return out;
}

// schema.org can say "weekdays 08:30-16:30" but not every RRULE: only plain weekly (BYDAY days)
// and daily rules of less than a day become openingHoursSpecification; GeoJSON and CSV carry
// every rule as it is.
std::optional<Json> OpeningHours(const v1::AvailabilityRule& rule) {
  static const std::map<std::string, std::string> kDays = {
      {"MO", "Monday"}, {"TU", "Tuesday"},  {"WE", "Wednesday"}, {"TH", "Thursday"},
      {"FR", "Friday"}, {"SA", "Saturday"}, {"SU", "Sunday"}};
  if (rule.duration_minutes() <= 0 || rule.duration_minutes() >= 24 * 60) return std::nullopt;
  std::map<std::string, std::string> parts;
  for (absl::string_view part : absl::StrSplit(rule.rrule(), ';', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    parts[absl::AsciiStrToUpper(kv.first)] = absl::AsciiStrToUpper(kv.second);
  }
  std::vector<std::string> days;
  if (parts["FREQ"] == "DAILY" && parts.size() == 1) {
    for (const auto& [code, name] : kDays) days.push_back("https://schema.org/" + name);
  } else if (parts["FREQ"] == "WEEKLY" && parts.count("BYDAY") &&
             parts.size() == 2 + parts.count("WKST")) {
    for (absl::string_view day : absl::StrSplit(parts["BYDAY"], ',')) {
      auto it = kDays.find(std::string(day));
      if (it == kDays.end()) return std::nullopt;
      days.push_back("https://schema.org/" + it->second);
    }
  } else {
    return std::nullopt;
  }
  int hours = 0, minutes = 0;
  if (std::sscanf(rule.start_time().c_str(), "%d:%d", &hours, &minutes) != 2) return std::nullopt;
  const int closes = (hours * 60 + minutes + rule.duration_minutes()) % (24 * 60);
  Json spec = {{"@type", "OpeningHoursSpecification"},
               {"dayOfWeek", days},
               {"opens", rule.start_time()},
               {"closes", absl::StrFormat("%02d:%02d", closes / 60, closes % 60)},
               {"validFrom", rule.valid_from()}};
  if (!rule.valid_until().empty()) spec["validThrough"] = rule.valid_until();
  return spec;
}

// "EVENT_KIND_OPEN_DAY" -> "open_day": enum values as the feeds spell them.
std::string ShortName(const std::string& full, absl::string_view prefix) {
  return absl::AsciiStrToLower(absl::StripPrefix(full, prefix));
}

std::string Rfc3339(const google::protobuf::Timestamp& t) {
  return google::protobuf::util::TimeUtil::ToString(t);
}

int PlacesLeft(const programme::v1::Event& e) { return std::max(0, e.capacity() - e.registered()); }

std::vector<std::string> Audiences(const programme::v1::Event& e) {
  std::vector<std::string> out;
  for (int a : e.audiences())
    out.push_back(ShortName(programme::v1::Audience_Name(static_cast<programme::v1::Audience>(a)),
                            "AUDIENCE_"));
  return out;
}

Json EventProperties(const programme::v1::Event& e) {
  return {{"id", e.id()},
          {"title", e.title()},
          {"description", e.description()},
          {"kind", ShortName(programme::v1::EventKind_Name(e.kind()), "EVENT_KIND_")},
          {"start", Rfc3339(e.start_time())},
          {"end", Rfc3339(e.end_time())},
          {"time_zone", e.time_zone()},
          {"language", e.language()},
          {"audiences", Audiences(e)},
          {"price_eur", Euros(e.price_cents())},
          {"registration_open", e.registration_open()},
          {"capacity", e.capacity()},
          {"places_left", PlacesLeft(e)}};
}

// schema.org Event (https://schema.org/Event), held at the place it is listed under.
Json SchemaEvent(const programme::v1::Event& e) {
  Json audiences = Json::array();
  for (const auto& audience : Audiences(e))
    audiences.push_back({{"@type", "Audience"}, {"audienceType", audience}});
  Json event = {{"@type", "Event"},
                {"identifier", e.id()},
                {"name", e.title()},
                {"description", e.description()},
                {"startDate", Rfc3339(e.start_time())},
                {"endDate", Rfc3339(e.end_time())},
                {"inLanguage", e.language()},
                {"eventStatus", "https://schema.org/EventScheduled"},
                {"eventAttendanceMode", "https://schema.org/OfflineEventAttendanceMode"},
                {"maximumAttendeeCapacity", e.capacity()},
                {"remainingAttendeeCapacity", PlacesLeft(e)},
                {"offers",
                 {{"@type", "Offer"},
                  {"price", Euros(e.price_cents())},
                  {"priceCurrency", "EUR"},
                  {"availability", PlacesLeft(e) > 0 && e.registration_open()
                                       ? "https://schema.org/InStock"
                                       : "https://schema.org/SoldOut"}}}};
  if (!audiences.empty()) event["audience"] = audiences;
  return event;
}

Json Feature(const PublishedResource& p) {
  const v1::Resource& r = p.resource;
  Json properties = {{"id", r.id()},
                     {"name", r.display_name()},
                     {"description", r.description()},
                     {"kind", KindName(r.kind())},
                     {"themes", Themes(r)},
                     {"tags", r.tags()},
                     {"capacity", r.capacity()},
                     {"access_policy", AccessPolicyName(r.access_policy())},
                     {"sme_accessible", r.sme_accessible()},
                     {"lifecycle", LifecycleName(r.lifecycle().state())},
                     {"owner_organization", p.owner_name},
                     {"owner_kind", OrganizationKindName(p.owner_kind)},
                     {"networks", r.shared_with_network_ids()}};
  if (!r.url().empty()) properties["url"] = r.url();
  if (const v1::Location* place = WhereIs(r)) {
    const auto& a = place->address();
    properties["address"] = {{"street", a.street()},
                             {"postal_code", a.postal_code()},
                             {"city", a.city()},
                             {"country", a.country()}};
    properties["province"] = place->region().province();
    properties["municipality"] = place->region().municipality();
  }
  if (r.publication().show_terms()) {
    Json terms = {{"kind", TermsKindName(r.terms().kind())}, {"notes", r.terms().notes()}};
    if (r.terms().tariff_per_hour_cents() > 0)
      terms["tariff_per_hour_eur"] = Euros(r.terms().tariff_per_hour_cents());
    if (r.terms().tariff_per_day_cents() > 0)
      terms["tariff_per_day_eur"] = Euros(r.terms().tariff_per_day_cents());
    properties["terms"] = terms;
  }
  if (r.publication().show_contact_roles()) properties["contact_roles"] = ContactRoles(r);
  if (r.publication().show_availability()) {
    Json rules = Json::array();
    for (const auto& rule : p.opening_rules)
      rules.push_back({{"rrule", rule.rrule()},
                       {"start_time", rule.start_time()},
                       {"duration_minutes", rule.duration_minutes()},
                       {"valid_from", rule.valid_from()},
                       {"valid_until", rule.valid_until()},
                       {"time_zone", r.time_zone()}});
    properties["opening_rules"] = rules;
  }
  Json geometry = nullptr;  // RFC 7946 3.2: a virtual resource has no place
  if (const v1::GeoPoint* point = MapPoint(r))
    geometry = {{"type", "Point"}, {"coordinates", {point->longitude(), point->latitude()}}};
  Json events = Json::array();
  for (const auto& e : p.events) events.push_back(EventProperties(e));
  properties["upcoming_events"] = events;
  return {{"type", "Feature"}, {"id", r.id()}, {"geometry", geometry}, {"properties", properties}};
}

Json SchemaPlace(const PublishedResource& p) {
  const v1::Resource& r = p.resource;
  Json features = Json::array();
  auto feature = [&](const std::string& name, Json value) {
    features.push_back(
        {{"@type", "LocationFeatureSpecification"}, {"name", name}, {"value", std::move(value)}});
  };
  feature("kind", KindName(r.kind()));
  for (const auto& theme : Themes(r)) feature("theme", theme);
  feature("capacity", r.capacity());
  feature("access_policy", AccessPolicyName(r.access_policy()));
  feature("sme_accessible", r.sme_accessible());
  feature("training_required", r.training_required());
  feature("approval_required", r.approval_required());
  if (r.publication().show_contact_roles())
    for (const auto& role : ContactRoles(r)) feature("contact_role", role);
  Json place = {{"@type", "Place"},
                {"identifier", r.id()},
                {"name", r.display_name()},
                {"description", r.description()},
                {"keywords", absl::StrJoin(r.tags(), ",")},
                {"maximumAttendeeCapacity", r.capacity()},
                {"publicAccess", r.access_policy() == v1::ACCESS_POLICY_PUBLIC},
                {"amenityFeature", features}};
  if (!r.url().empty()) place["url"] = r.url();
  if (const v1::GeoPoint* point = MapPoint(r))
    place["geo"] = {{"@type", "GeoCoordinates"},
                    {"latitude", point->latitude()},
                    {"longitude", point->longitude()}};
  if (const v1::Location* where = WhereIs(r)) {
    const auto& a = where->address();
    place["address"] = {{"@type", "PostalAddress"},
                        {"streetAddress", a.street()},
                        {"postalCode", a.postal_code()},
                        {"addressLocality", a.city()},
                        {"addressRegion", where->region().province()},
                        {"addressCountry", a.country()}};
  }
  Json offer = {{"@type", "Offer"},
                {"offeredBy",
                 {{"@type", "Organization"},
                  {"name", p.owner_name},
                  {"additionalType", OrganizationKindName(p.owner_kind)}}}};
  if (r.publication().show_terms()) {
    const v1::Terms& t = r.terms();
    offer["category"] = TermsKindName(t.kind());
    if (!t.notes().empty()) offer["description"] = t.notes();
    Json prices = Json::array();
    auto price = [&](int64_t cents, const char* unit) {
      prices.push_back({{"@type", "UnitPriceSpecification"},
                        {"price", Euros(cents)},
                        {"priceCurrency", "EUR"},
                        {"unitCode", unit}});  // UN/CEFACT: HUR hour, DAY day
    };
    if (t.kind() == v1::TERMS_KIND_FREE) price(0, "HUR");
    if (t.tariff_per_hour_cents() > 0) price(t.tariff_per_hour_cents(), "HUR");
    if (t.tariff_per_day_cents() > 0) price(t.tariff_per_day_cents(), "DAY");
    if (!prices.empty()) offer["priceSpecification"] = prices;
  }
  place["makesOffer"] = Json::array({offer});
  if (!p.events.empty()) {
    Json events = Json::array();
    for (const auto& e : p.events) events.push_back(SchemaEvent(e));
    place["event"] = events;
  }
  if (r.publication().show_availability()) {
    Json hours = Json::array();
    for (const auto& rule : p.opening_rules)
      if (auto spec = OpeningHours(rule)) hours.push_back(*spec);
    if (!hours.empty()) place["openingHoursSpecification"] = hours;
  }
  return place;
}

namespace {
// "-68,260000" or "-4.5": a negative number, which Excel reads as one and runs nothing.
bool IsNegativeNumber(absl::string_view value) {
  if (value.size() < 2 || value[0] != '-') return false;
  bool digits = false, separator = false;
  for (char c : value.substr(1)) {
    if (absl::ascii_isdigit(c)) {
      digits = true;
    } else if ((c == ',' || c == '.') && digits && !separator) {
      separator = true;
      digits = false;
    } else {
      return false;
    }
  }
  return digits;
}
}  // namespace

std::string CsvField(const std::string& value, CsvDialect dialect) {
  const char separator = dialect == CsvDialect::kExcel ? ';' : ',';
  // A cell Excel would run as a formula (CSV injection): shown as text there instead. A negative
  // number (a longitude west of Greenwich) stays a number.
  const bool formula = dialect == CsvDialect::kExcel && !value.empty() &&
                       absl::string_view("=+-@\t\r").find(value[0]) != absl::string_view::npos &&
                       !IsNegativeNumber(value);
  const std::string text = formula ? absl::StrCat("'", value) : value;
  if (text.find_first_of(std::string("\"\r\n") + separator) == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

bool FeedFilter::Accepts(const v1::Resource& r) const {
  if (!network.empty() &&
      std::find(r.shared_with_network_ids().begin(), r.shared_with_network_ids().end(), network) ==
          r.shared_with_network_ids().end())
    return false;
  if (kind != 0 && r.kind() != kind) return false;
  if (theme != 0 && std::find(r.themes().begin(), r.themes().end(), theme) == r.themes().end())
    return false;
  if (!province.empty()) {
    const v1::Location* where = WhereIs(r);
    if (where == nullptr || !absl::EqualsIgnoreCase(where->region().province(), province))
      return false;
  }
  return true;
}

absl::StatusOr<FeedFilter> ParseFeedFilter(const std::multimap<std::string, std::string>& query) {
  FeedFilter filter;
  auto bad = [](const std::string& parameter, const std::string& why) {
    return InvalidField(parameter, why);
  };
  for (const auto& [name, value] : query) {
    if (value.size() > 64) return bad(name, "must be at most 64 characters");
    // Each filter once: a second value would silently narrow to nothing.
    if (query.count(name) > 1) return bad(name, "may be given once");
    if (name == "network") {
      filter.network = value;
    } else if (name == "province") {
      if (!IsProvinceCode(absl::AsciiStrToUpper(value)))
        return bad("province", "is not a province code (PV20 to PV31, e.g. PV23)");
      filter.province = value;
    } else if (name == "kind") {
      // living_lab, or living-lab as the CLI writes it.
      const std::string wanted = absl::StrReplaceAll(absl::AsciiStrToLower(value), {{"-", "_"}});
      for (int k = 1; v1::ResourceKind_IsValid(k); ++k)
        if (KindName(static_cast<v1::ResourceKind>(k)) == wanted) filter.kind = k;
      if (filter.kind == 0) return bad("kind", "is not a resource kind (e.g. lab, campus)");
    } else if (name == "theme") {
      const std::string wanted = absl::StrReplaceAll(absl::AsciiStrToLower(value), {{"-", "_"}});
      for (int t = 1; v1::Theme_IsValid(t); ++t)
        if (ThemeName(static_cast<v1::Theme>(t)) == wanted) filter.theme = t;
      if (filter.theme == 0) return bad("theme", "is not a theme (e.g. digitalisation, water)");
    } else if (name == "dialect") {
      if (value != "excel" && value != "rfc4180")
        return bad("dialect", "is excel or rfc4180 (the default)");
    } else {
      return bad(name.size() > 64 ? "query" : name,
                 "is not a filter (network, kind, theme, province)");
    }
  }
  return filter;
}

std::string GeoJson(const std::vector<PublishedResource>& resources) {
  Json features = Json::array();
  for (const auto& p : resources) features.push_back(Feature(p));
  return Dump({{"type", "FeatureCollection"}, {"features", features}});
}

std::string JsonLd(const std::vector<PublishedResource>& resources) {
  Json graph = Json::array();
  for (const auto& p : resources) graph.push_back(SchemaPlace(p));
  return Dump({{"@context", "https://schema.org"}, {"@graph", graph}});
}

const std::vector<std::string>& CsvColumns() {
  static const std::vector<std::string> kColumns = {"id",
                                                    "name",
                                                    "kind",
                                                    "description",
                                                    "latitude",
                                                    "longitude",
                                                    "street",
                                                    "postal_code",
                                                    "city",
                                                    "country",
                                                    "province",
                                                    "municipality",
                                                    "themes",
                                                    "tags",
                                                    "capacity",
                                                    "access_policy",
                                                    "sme_accessible",
                                                    "lifecycle",
                                                    "owner_organization",
                                                    "owner_kind",
                                                    "networks",
                                                    "url",
                                                    "terms_kind",
                                                    "tariff_per_hour_eur",
                                                    "tariff_per_day_eur",
                                                    "terms_notes",
                                                    "contact_roles",
                                                    "opening_rules"};
  return kColumns;
}

std::string Csv(const std::vector<PublishedResource>& resources, CsvDialect dialect) {
  const std::string separator = dialect == CsvDialect::kExcel ? ";" : ",";
  std::string out = dialect == CsvDialect::kExcel ? "\xEF\xBB\xBF" : "";
  auto row = [&](const std::vector<std::string>& fields) {
    std::vector<std::string> cells;
    for (const auto& f : fields) cells.push_back(CsvField(f, dialect));
    absl::StrAppend(&out, absl::StrJoin(cells, separator), "\r\n");
  };
  // Dutch Excel reads "52,512300" as a number and "52.512300" as text: the dialect that separates
  // with ';' writes decimal commas, as the import reads them.
  auto decimal = [dialect](std::string number) {
    if (dialect == CsvDialect::kExcel) std::replace(number.begin(), number.end(), '.', ',');
    return number;
  };
  row(CsvColumns());
  for (const auto& p : resources) {
    const v1::Resource& r = p.resource;
    const v1::GeoPoint* point = MapPoint(r);
    const v1::Location* where = WhereIs(r);
    const v1::Address address = where ? where->address() : v1::Address();
    const v1::Region region = where ? where->region() : v1::Region();
    const bool terms = r.publication().show_terms();
    std::vector<std::string> rules;
    for (const auto& rule : p.opening_rules) rules.push_back(RuleText(rule));
    row({r.id(),
         r.display_name(),
         KindName(r.kind()),
         r.description(),
         point ? decimal(absl::StrFormat("%.6f", point->latitude())) : "",
         point ? decimal(absl::StrFormat("%.6f", point->longitude())) : "",
         address.street(),
         address.postal_code(),
         address.city(),
         address.country(),
         region.province(),
         region.municipality(),
         absl::StrJoin(Themes(r), "|"),
         absl::StrJoin(r.tags(), "|"),
         absl::StrCat(r.capacity()),
         AccessPolicyName(r.access_policy()),
         r.sme_accessible() ? "true" : "false",
         LifecycleName(r.lifecycle().state()),
         p.owner_name,
         OrganizationKindName(p.owner_kind),
         absl::StrJoin(r.shared_with_network_ids(), "|"),
         r.url(),
         terms ? TermsKindName(r.terms().kind()) : "",
         terms && r.terms().tariff_per_hour_cents() > 0
             ? decimal(Euros(r.terms().tariff_per_hour_cents()))
             : "",
         terms && r.terms().tariff_per_day_cents() > 0
             ? decimal(Euros(r.terms().tariff_per_day_cents()))
             : "",
         terms ? r.terms().notes() : "",
         absl::StrJoin(ContactRoles(r), "|"),
         absl::StrJoin(rules, "|")});
  }
  return out;
}

const std::vector<FeedDescription>& ResourceFeeds() {
  static const std::vector<FeedDescription> kFeeds = {
      {"/open/resources.geojson", "application/geo+json", "GEOJSON",
       "Shared infrastructure: map (GeoJSON)"},
      {"/open/resources.jsonld", "application/ld+json", "JSON_LD",
       "Shared infrastructure: places and terms (schema.org JSON-LD)"},
      {"/open/resources.csv", "text/csv", "CSV", "Shared infrastructure: table (CSV)"}};
  return kFeeds;
}

std::string Catalog(const CatalogInfo& info) {
  // DCAT-AP-NL 3.0: a dcat:Catalog, one dcat:Dataset per feed with one dcat:Distribution, media
  // types as IANA URIs, formats from the EU file-type vocabulary, themes from the EU data themes.
  const std::string iana = "https://www.iana.org/assignments/media-types/";
  const std::string formats = "http://publications.europa.eu/resource/authority/file-type/";
  Json publisher = {{"@type", "foaf:Agent"}, {"foaf:name", info.publisher}};
  if (!info.publisher_url.empty()) publisher["@id"] = info.publisher_url;
  Json contact = {{"@type", "vcard:Organization"}, {"vcard:fn", info.publisher}};
  if (!info.contact_email.empty()) contact["vcard:hasEmail"] = "mailto:" + info.contact_email;
  Json datasets = Json::array();
  for (const auto& feed : ResourceFeeds()) {
    const std::string url = info.base_url + feed.path;
    Json distribution = {{"@id", url},
                         {"@type", "dcat:Distribution"},
                         {"dct:title", feed.title},
                         {"dcat:accessURL", {{"@id", url}}},
                         {"dcat:downloadURL", {{"@id", url}}},
                         {"dcat:mediaType", {{"@id", iana + feed.media_type}}},
                         {"dct:format", {{"@id", formats + feed.format}}},
                         {"dct:license", {{"@id", info.license}}}};
    Json dataset = {
        {"@id", url + "#dataset"},
        {"@type", "dcat:Dataset"},
        {"dct:identifier", url + "#dataset"},
        {"dct:title", feed.title},
        {"dct:description",
         "Labs, campuses, hubs and equipment that partners of Dutch vocational-education networks "
         "share, as far as each owner marked them public."},
        {"dct:language",
         {{"@id", "http://publications.europa.eu/resource/authority/language/NLD"}}},
        {"dcat:theme",
         {{"@id", "http://publications.europa.eu/resource/authority/data-theme/EDUC"}}},
        {"dct:publisher", publisher},
        {"dcat:contactPoint", contact},
        {"dct:license", {{"@id", info.license}}},
        {"dct:accessRights",
         {{"@id", "http://publications.europa.eu/resource/authority/access-right/PUBLIC"}}},
        {"dcat:distribution", Json::array({distribution})}};
    if (!info.modified.empty())
      dataset["dct:modified"] = {{"@value", info.modified}, {"@type", "xsd:dateTime"}};
    datasets.push_back(dataset);
  }
  Json catalog = {
      {"@context",
       {{"dcat", "http://www.w3.org/ns/dcat#"},
        {"dct", "http://purl.org/dc/terms/"},
        {"foaf", "http://xmlns.com/foaf/0.1/"},
        {"vcard", "http://www.w3.org/2006/vcard/ns#"},
        {"xsd", "http://www.w3.org/2001/XMLSchema#"}}},
      {"@id", info.base_url + "/open/catalog.jsonld"},
      {"@type", "dcat:Catalog"},
      {"dct:title", "infrashare open data"},
      {"dct:description",
       "Open data of the shared infrastructure of vocational-education networks."},
      {"dct:publisher", publisher},
      {"dct:license", {{"@id", info.license}}},
      {"dct:language", {{"@id", "http://publications.europa.eu/resource/authority/language/NLD"}}},
      {"dcat:dataset", datasets}};
  return Dump(catalog);
}

}  // namespace infrashare::http
