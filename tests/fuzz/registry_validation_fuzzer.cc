// The registry's request validation (services/registry/validation.h) and search, on requests as
// a client could send them: the first byte picks the request type, the rest is the request in
// protobuf wire format. Each runs the steps its handler runs (defaults, update mask, merge,
// validation) without Redis. What validation admits must be what the rest of the code assumes: a
// known time zone, capacity and booking rules in range, availability that expands to ordered,
// bounded windows, and a resource the search index takes.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "infrashare/registry/v1/registry.pb.h"
#include "services/common/availability.h"
#include "services/common/errors.h"
#include "services/common/paging.h"
#include "services/common/recurrence.h"
#include "services/registry/search_index.h"
#include "services/registry/validation.h"
#include "tests/fuzz/invariant.h"

namespace {

namespace reg = infrashare::registry;
namespace v1 = infrashare::registry::v1;
using infrashare::FieldErrors;
using infrashare::fuzz::Require;

// A stored record an update is applied to: valid, as every stored record is.
v1::Organization StoredOrganization() {
  v1::Organization o;
  o.set_id("org-a");
  o.set_etag("3");
  o.set_display_name("Techniek College");
  o.set_kind(v1::ORGANIZATION_KIND_VOCATIONAL_SCHOOL);
  return o;
}

v1::Network StoredNetwork() {
  v1::Network n;
  n.set_id("net-a");
  n.set_etag("2");
  n.set_display_name("Regio Twente");
  n.add_member_organization_ids("org-a");
  return n;
}

v1::Resource StoredResource() {
  v1::Resource r;
  r.set_id("res-a");
  r.set_etag("5");
  r.set_display_name("Lasrobot");
  r.set_kind(v1::RESOURCE_KIND_EQUIPMENT);
  r.set_owner_organization_id("org-a");
  r.mutable_location()->mutable_point()->set_latitude(52.22);
  r.mutable_location()->mutable_point()->set_longitude(6.89);
  reg::ApplyDefaults(&r);
  return r;
}

void CheckAdmittedResource(const v1::Resource& r) {
  Require(infrashare::FindTimeZone(r.time_zone()) != nullptr,
          "an admitted resource has a known time zone");
  Require(r.capacity() >= 1 && r.capacity() <= 100000,
          "an admitted resource's capacity is in range");
  const auto& b = r.booking_rules();
  Require(b.lead_time_minutes() >= 0 && b.buffer_before_minutes() >= 0 &&
              b.buffer_after_minutes() >= 0 && b.max_advance_days() >= 0 &&
              b.sme_share_percent() <= 100,
          "an admitted resource's booking rules are in range");
  if (r.location().has_point())
    Require(std::isfinite(r.location().point().latitude()) &&
                std::isfinite(r.location().point().longitude()),
            "an admitted point is finite");
  // What the registry does next with it: index it, and find it by its name.
  reg::SearchIndex index;
  index.Upsert(r);
  v1::SearchResourcesRequest search;
  search.set_text_prefix(r.display_name().substr(0, 8));
  auto found = index.Search(search, reg::SearchLimits{});
  Require(found.ok(), "a search by an admitted resource's name answers");
}

void Resource(v1::Resource resource) {
  reg::ApplyDefaults(&resource);
  FieldErrors errors;
  reg::Validate(resource, "resource", &errors);
  if (errors.empty()) CheckAdmittedResource(resource);
}

void UpdateResource(const v1::UpdateResourceRequest& request) {
  if (!reg::CheckUpdateMask(request.update_mask(), v1::Resource::descriptor(), "resource").ok())
    return;
  v1::Resource resource = StoredResource();
  reg::ApplyUpdate(request.resource(), request.update_mask(), &resource);
  Resource(std::move(resource));
}

void ImportResources(const v1::ImportResourcesRequest& request) {
  for (int i = 0; i < request.resources_size() && i < 20; ++i) {
    v1::Resource resource = StoredResource();
    if (const auto present = reg::PresentFields(request.resources(i)); present.paths_size() > 0)
      reg::ApplyUpdate(request.resources(i), present, &resource);
    Resource(std::move(resource));
  }
}

void Organization(v1::Organization organization) {
  reg::ApplyDefaults(&organization);
  FieldErrors errors;
  reg::Validate(organization, "organization", &errors);
}

void UpdateOrganization(const v1::UpdateOrganizationRequest& request) {
  if (!reg::CheckUpdateMask(request.update_mask(), v1::Organization::descriptor(), "organization")
           .ok())
    return;
  v1::Organization organization = StoredOrganization();
  reg::ApplyUpdate(request.organization(), request.update_mask(), &organization);
  Organization(std::move(organization));
}

void Network(v1::Network network) {
  reg::ApplyDefaults(&network);
  FieldErrors errors;
  reg::Validate(network, "network", &errors);
}

void UpdateNetwork(const v1::UpdateNetworkRequest& request) {
  if (!reg::CheckUpdateMask(request.update_mask(), v1::Network::descriptor(), "network").ok())
    return;
  v1::Network network = StoredNetwork();
  reg::ApplyUpdate(request.network(), request.update_mask(), &network);
  Network(std::move(network));
}

// An admitted availability over eight days from `day` (days after 2026-01-01: the walk reaches
// both DST changes of several years): ordered, disjoint windows inside the range, a bounded number.
void PublishAvailability(const v1::PublishAvailabilityRequest& request, uint8_t day) {
  FieldErrors errors;
  reg::ValidateAvailability(request, &errors);
  if (!errors.empty()) return;
  v1::Availability availability;
  *availability.mutable_rules() = request.rules();
  *availability.mutable_closures() = request.closures();
  const auto* zone = infrashare::FindTimeZone("Europe/Amsterdam");
  const infrashare::SysSeconds from =
      date::sys_days(date::year(2026) / 1 / 1) + date::days(int{day} * 7);
  const infrashare::SysSeconds to = from + date::days(8);
  const auto windows = infrashare::OpenWindows(availability, zone, from, to);
  // A rule opens at most one window a day; merged windows are fewer. Without rules the range is
  // open less the closures: at most one window more than there are closures.
  Require(request.rules_size() == 0
              ? windows.size() <= static_cast<size_t>(request.closures_size()) + 1
              : windows.size() <= static_cast<size_t>(request.rules_size()) * 9,
          "windows are bounded by the rules");
  for (size_t i = 0; i < windows.size(); ++i) {
    Require(windows[i].start < windows[i].end, "a window is not empty");
    Require(windows[i].start >= from && windows[i].end <= to,
            "a window lies in the range asked for");
    if (i > 0) Require(windows[i - 1].end < windows[i].start, "windows are ordered and apart");
  }
}

// A search over a small index: any request answers, a page is never longer than asked.
void Search(const v1::SearchResourcesRequest& request) {
  static const reg::SearchIndex* index = [] {
    auto* out = new reg::SearchIndex;
    v1::Resource r = StoredResource();
    out->Upsert(r);
    r.set_id("res-b");
    r.set_display_name("Café 3D-printer");
    r.mutable_location()->mutable_region()->set_province("PV23");
    out->Upsert(r);
    return out;
  }();
  const reg::SearchLimits limits;
  auto found = index->Search(request, limits);
  if (!found.ok()) return;
  const int page = request.page_size() == 0 ? limits.default_page_size : request.page_size();
  Require(found->hits_size() <= page, "a page holds at most page_size resources");
}

template <typename Request>
bool Parse(const uint8_t* data, size_t size, Request* request) {
  return request->ParseFromArray(data, static_cast<int>(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t selector = data[0];
  const uint8_t day = data[1];
  data += 2;
  size -= 2;
  switch (selector % 10) {
    case 0: {
      v1::CreateOrganizationRequest r;
      if (Parse(data, size, &r)) Organization(r.organization());
      break;
    }
    case 1: {
      v1::UpdateOrganizationRequest r;
      if (Parse(data, size, &r)) UpdateOrganization(r);
      break;
    }
    case 2: {
      v1::CreateNetworkRequest r;
      if (Parse(data, size, &r)) Network(r.network());
      break;
    }
    case 3: {
      v1::UpdateNetworkRequest r;
      if (Parse(data, size, &r)) UpdateNetwork(r);
      break;
    }
    case 4: {
      v1::CreateResourceRequest r;
      if (Parse(data, size, &r)) Resource(r.resource());
      break;
    }
    case 5: {
      v1::UpdateResourceRequest r;
      if (Parse(data, size, &r)) UpdateResource(r);
      break;
    }
    case 6: {
      v1::ImportResourcesRequest r;
      if (Parse(data, size, &r)) ImportResources(r);
      break;
    }
    case 7: {
      v1::PublishAvailabilityRequest r;
      if (Parse(data, size, &r)) PublishAvailability(r, day);
      break;
    }
    case 8: {
      v1::SearchResourcesRequest r;
      if (Parse(data, size, &r)) Search(r);
      break;
    }
    case 9: {
      v1::ListResourcesRequest r;
      if (Parse(data, size, &r)) {
        auto size_or = infrashare::PageSize(r.page_size(), 50, 500);
        if (size_or.ok())
          Require(*size_or >= 1 && *size_or <= 500, "an admitted page size is in range");
      }
      break;
    }
  }
  return 0;
}
