#include "services/http/publication.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace infrashare::http {
namespace v1 = registry::v1;
namespace {

// "RESOURCE_KIND_LIVING_LAB" -> "living_lab".
std::string ValueName(const google::protobuf::EnumDescriptor* type, int value,
                      absl::string_view prefix) {
  const auto* v = type->FindValueByNumber(value);
  if (v == nullptr) return "";
  absl::string_view name = v->name();
  absl::ConsumePrefix(&name, prefix);
  return absl::AsciiStrToLower(name);
}

void CopyLocation(const v1::Location& from, v1::Location* to) {
  *to->mutable_point() = from.point();
  *to->mutable_address() = from.address();
  *to->mutable_region() = from.region();
}

}  // namespace

std::string KindName(v1::ResourceKind kind) {
  return ValueName(v1::ResourceKind_descriptor(), kind, "RESOURCE_KIND_");
}
std::string ThemeName(v1::Theme theme) {
  return ValueName(v1::Theme_descriptor(), theme, "THEME_");
}
std::string StaffRoleName(v1::StaffRole role) {
  return ValueName(v1::StaffRole_descriptor(), role, "STAFF_ROLE_");
}
std::string OrganizationKindName(v1::OrganizationKind kind) {
  return ValueName(v1::OrganizationKind_descriptor(), kind, "ORGANIZATION_KIND_");
}
std::string AccessPolicyName(v1::AccessPolicy policy) {
  return ValueName(v1::AccessPolicy_descriptor(), policy, "ACCESS_POLICY_");
}
std::string TermsKindName(v1::TermsKind kind) {
  return ValueName(v1::TermsKind_descriptor(), kind, "TERMS_KIND_");
}
std::string LifecycleName(v1::LifecycleState state) {
  return ValueName(v1::LifecycleState_descriptor(), state, "LIFECYCLE_STATE_");
}

const v1::GeoPoint* MapPoint(const v1::Resource& r) {
  if (r.has_location() && r.location().has_point()) return &r.location().point();
  if (r.has_home_base() && r.home_base().has_point()) return &r.home_base().point();
  return nullptr;
}

std::optional<PublishedResource> Publish(const registry::ResourceFacts& facts,
                                         const registry::OrganizationFacts& owner,
                                         const std::string& owner_name) {
  const v1::Resource& r = *facts.resource;
  const v1::ResourcePublication& shown = r.publication();
  if (!shown.listed() || r.lifecycle().state() == v1::LIFECYCLE_STATE_RETIRED) return std::nullopt;
  PublishedResource out;
  v1::Resource& p = out.resource;
  p.set_id(r.id());
  p.set_display_name(r.display_name());
  p.set_description(r.description());
  p.set_kind(r.kind());
  p.set_mobility(r.mobility());
  if (r.has_location()) CopyLocation(r.location(), p.mutable_location());
  if (r.has_home_base()) CopyLocation(r.home_base(), p.mutable_home_base());
  p.set_url(r.url());
  p.set_owner_organization_id(r.owner_organization_id());
  *p.mutable_shared_with_network_ids() = r.shared_with_network_ids();
  *p.mutable_themes() = r.themes();
  *p.mutable_tags() = r.tags();
  p.set_time_zone(r.time_zone());
  p.set_booking_mode(r.booking_mode());
  p.set_capacity(r.capacity());
  p.set_access_policy(r.access_policy());
  p.set_sme_accessible(r.sme_accessible());
  p.set_training_required(r.training_required());
  p.set_approval_required(r.approval_required());
  p.mutable_lifecycle()->set_state(r.lifecycle().state());
  *p.mutable_publication() = shown;
  if (r.has_audit()) *p.mutable_audit()->mutable_update_time() = r.audit().update_time();
  if (shown.show_terms()) *p.mutable_terms() = r.terms();
  if (shown.show_contact_roles())
    for (const auto& s : r.staff()) p.add_staff()->set_role(s.role());  // the role only
  if (shown.show_availability() && facts.availability)
    out.opening_rules.assign(facts.availability->rules().begin(),
                             facts.availability->rules().end());
  out.owner_name = owner_name;
  out.owner_kind = owner.kind;
  return out;
}

}  // namespace infrashare::http
