// What the open-data feeds may show of a resource: the one place that decides it. The owner's
// ResourcePublication says whether a resource is listed and which optional parts are shown; the
// copy made here holds only those fields (an allow-list, so a field added to Resource later stays
// private until it is added here on purpose).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "infrashare/programme/v1/programme.pb.h"
#include "infrashare/registry/v1/registry.pb.h"
#include "services/registry/read_model.h"

namespace infrashare::http {

struct PublishedResource {
  registry::v1::Resource resource;  // only the public fields are set
  std::string owner_name;           // the owner organisation's display name
  registry::v1::OrganizationKind owner_kind = registry::v1::ORGANIZATION_KIND_UNSPECIFIED;
  std::vector<registry::v1::AvailabilityRule> opening_rules;  // only with show_availability
  // Its upcoming public events (the programme's own visibility rule), soonest first.
  std::vector<programme::v1::Event> events;
};

// The public copy of a resource, or nullopt when its owner has not listed it (or it is retired).
std::optional<PublishedResource> Publish(const registry::ResourceFacts& facts,
                                         const registry::OrganizationFacts& owner,
                                         const std::string& owner_name);

// The point a map shows the resource at: its location, or a mobile resource's home base.
const registry::v1::GeoPoint* MapPoint(const registry::v1::Resource& resource);

// Enum values as the feeds and their filters spell them: "lab", "digitalisation", "pv23".
std::string KindName(registry::v1::ResourceKind kind);
std::string ThemeName(registry::v1::Theme theme);
std::string StaffRoleName(registry::v1::StaffRole role);
std::string OrganizationKindName(registry::v1::OrganizationKind kind);
std::string AccessPolicyName(registry::v1::AccessPolicy policy);
std::string TermsKindName(registry::v1::TermsKind kind);
std::string LifecycleName(registry::v1::LifecycleState state);

}  // namespace infrashare::http
