// The open-data feeds, rendered from published resources only (publication.h): GeoJSON (RFC 7946),
// schema.org JSON-LD, CSV (RFC 4180) and a DCAT-AP-NL catalogue record describing them. Pure
// functions: no Redis, no HTTP.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/http/publication.h"

namespace infrashare::http {

// Query-parameter filters every resource feed accepts; empty = any.
struct FeedFilter {
  std::string network;   // a network id the resource is shared with
  int kind = 0;          // registry::v1::ResourceKind
  int theme = 0;         // registry::v1::Theme
  std::string province;  // CBS code, e.g. "PV23"
  bool Accepts(const registry::v1::Resource& resource) const;
};
// From ?network=&kind=&theme=&province= (kind and theme as the feeds spell them, e.g. "lab",
// "digitalisation"). INVALID_ARGUMENT naming the parameter for an unknown value or parameter.
absl::StatusOr<FeedFilter> ParseFeedFilter(const std::multimap<std::string, std::string>& query);

std::string GeoJson(const std::vector<PublishedResource>& resources);
std::string JsonLd(const std::vector<PublishedResource>& resources);

// RFC 4180 (comma, CRLF, no byte-order mark) by default. Dutch Excel reads a file it opens
// directly with the list separator of a Dutch Windows, ';', and guesses UTF-8 only from a byte
// order mark: `excel` gives it both.
enum class CsvDialect { kRfc4180, kExcel };
std::string Csv(const std::vector<PublishedResource>& resources, CsvDialect dialect);
// The header row's fields, in order (also the README's documentation of the columns).
const std::vector<std::string>& CsvColumns();

struct CatalogInfo {
  std::string base_url;   // absolute URL the feeds are reached at, without trailing slash
  std::string publisher;  // who publishes the data
  std::string publisher_url;
  std::string contact_email;
  std::string license;   // licence URI, e.g. CC0 1.0's
  std::string modified;  // xsd:dateTime of the newest published change; "" when none
};
// One dcat:Dataset per resource feed, each with its dcat:Distribution(s) and media types.
std::string Catalog(const CatalogInfo& info);

// The feeds the catalogue describes: path, media type, title.
struct FeedDescription {
  std::string path, media_type, format, title;
};
const std::vector<FeedDescription>& ResourceFeeds();

}  // namespace infrashare::http
