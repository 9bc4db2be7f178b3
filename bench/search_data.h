// The registry benchmarks' data: resources spread around the 12 provincial capitals with words
// from a small vocabulary, and the three query shapes of issue #2. Shared by registry_bench (over
// gRPC) and search_index_bench (in process).
#pragma once

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "infrashare/registry/v1/registry.pb.h"

namespace infrashare::bench {

using namespace infrashare::registry::v1;

inline const std::vector<std::pair<std::string, std::pair<double, double>>> kCities = {
    {"PV20", {53.2194, 6.5665}}, {"PV21", {53.2012, 5.7999}}, {"PV22", {52.9925, 6.5649}},
    {"PV23", {52.5168, 6.0830}}, {"PV24", {52.5185, 5.4714}}, {"PV25", {51.9851, 5.8987}},
    {"PV26", {52.0907, 5.1214}}, {"PV27", {52.3676, 4.9041}}, {"PV28", {51.9244, 4.4777}},
    {"PV29", {51.4988, 3.6110}}, {"PV30", {51.4416, 5.4697}}, {"PV31", {50.8514, 5.6910}}};
inline const std::vector<std::string> kWords = {
    "smart",    "factory", "robot",  "zorg",     "water", "energie", "twin",
    "praktijk", "lab",     "campus", "digitaal", "food",  "bouw",    "circulair"};

inline Resource RandomResource(std::mt19937& rng, int i, int orgs) {
  Resource r;
  r.set_id("bench-" + std::to_string(i));
  const auto& [province, center] = kCities[rng() % kCities.size()];
  r.set_display_name(kWords[rng() % kWords.size()] + " " + kWords[rng() % kWords.size()] + " " +
                     std::to_string(i));
  r.set_description("Gedeelde faciliteit voor " + kWords[rng() % kWords.size()] + " en " +
                    kWords[rng() % kWords.size()]);
  r.set_kind(rng() % 3 == 0 ? RESOURCE_KIND_EQUIPMENT
                            : (rng() % 2 ? RESOURCE_KIND_LAB : RESOURCE_KIND_HUB));
  r.set_owner_organization_id("bench-org-" + std::to_string(rng() % orgs));
  r.add_themes(static_cast<Theme>(1 + rng() % 16));
  if (rng() % 2) r.add_themes(static_cast<Theme>(1 + (r.themes(0) % 16)));
  r.add_tags(kWords[rng() % kWords.size()]);
  std::normal_distribution<double> spread(0, 0.25);
  r.mutable_location()->mutable_point()->set_latitude(center.first + spread(rng));
  r.mutable_location()->mutable_point()->set_longitude(center.second + spread(rng));
  r.mutable_location()->mutable_region()->set_province(province);
  r.set_sme_accessible(rng() % 2);
  return r;
}

inline SearchResourcesRequest Query(std::mt19937& rng, int shape) {
  SearchResourcesRequest q;
  q.set_page_size(20);
  const auto& [province, center] = kCities[rng() % kCities.size()];
  switch (shape) {
    case 0:  // two facets
      q.add_themes(static_cast<Theme>(1 + rng() % 16));
      q.add_region_codes(province);
      break;
    case 1:  // 25 km radius + two facets
      q.mutable_within()->mutable_center()->set_latitude(center.first);
      q.mutable_within()->mutable_center()->set_longitude(center.second);
      q.mutable_within()->set_radius_km(25);
      q.add_kinds(RESOURCE_KIND_LAB);
      q.add_themes(static_cast<Theme>(1 + rng() % 16));
      break;
    default:  // text prefix + one facet
      q.set_text_prefix(kWords[rng() % kWords.size()].substr(0, 3));
      q.add_kinds(RESOURCE_KIND_EQUIPMENT);
      break;
  }
  return q;
}

}  // namespace infrashare::bench
