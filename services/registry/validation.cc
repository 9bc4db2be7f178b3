#include "services/registry/validation.h"

#include <google/protobuf/util/field_mask_util.h>

#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/common/availability.h"
#include "services/common/ids.h"
#include "services/common/recurrence.h"
#include "services/common/regions.h"
#include "services/common/text_fold.h"

namespace infrashare::registry {
namespace {

using google::protobuf::FieldMask;
using google::protobuf::util::FieldMaskUtil;

constexpr size_t kMaxName = 200;
constexpr size_t kMaxDescription = 4000;
constexpr int kMaxListItems = 50;

std::string Path(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}
std::string Item(absl::string_view prefix, absl::string_view field, int index) {
  return absl::StrCat(Path(prefix, field), "[", index, "]");
}

void RequireName(absl::string_view value, const std::string& path, FieldErrors* errors) {
  if (IsBlank(std::string_view(value.data(), value.size()))) {
    errors->Add(path, "is required");
  } else if (Characters(std::string_view(value.data(), value.size())) > kMaxName) {
    errors->Add(path, absl::StrCat("at most ", kMaxName, " characters"));
  }
}

void MaxLength(absl::string_view value, size_t max, const std::string& path, FieldErrors* errors) {
  if (Characters(std::string_view(value.data(), value.size())) > max)
    errors->Add(path, absl::StrCat("at most ", max, " characters"));
}

void CheckEmail(const std::string& email, const std::string& path, FieldErrors* errors) {
  if (!email.empty() && !IsEmailAddress(email)) errors->Add(path, "is not an e-mail address");
}

void CheckPhone(absl::string_view phone, const std::string& path, FieldErrors* errors) {
  if (phone.empty()) return;
  bool ok = phone.size() <= 32;
  for (char c : phone)
    ok = ok && (absl::ascii_isdigit(c) || c == '+' || c == ' ' || c == '-' || c == '(' || c == ')');
  if (!ok) errors->Add(path, "is not a phone number");
}

void CheckUrl(absl::string_view url, const std::string& path, FieldErrors* errors) {
  if (url.empty()) return;
  if (url.size() > 500 ||
      !(absl::StartsWith(url, "https://") || absl::StartsWith(url, "http://")) ||
      absl::StrContains(url, " "))
    errors->Add(path, "must be an http(s) URL of at most 500 characters");
}

void CheckId(absl::string_view id, const std::string& path, FieldErrors* errors) {
  if (!IsValidId(id)) errors->Add(path, "is not a valid id ([a-z0-9][a-z0-9_-]{0,63})");
}

void CheckIds(const google::protobuf::RepeatedPtrField<std::string>& ids, absl::string_view prefix,
              absl::string_view field, FieldErrors* errors) {
  if (ids.size() > 1000) errors->Add(Path(prefix, field), "at most 1000 entries");
  std::set<absl::string_view> seen;
  for (int i = 0; i < ids.size(); ++i) {
    CheckId(ids[i], Item(prefix, field, i), errors);
    if (!seen.insert(ids[i]).second) errors->Add(Item(prefix, field, i), "is listed twice");
  }
}

template <typename EnumIsValid>
void CheckEnum(int value, EnumIsValid is_valid, bool required, const std::string& path,
               FieldErrors* errors) {
  if (!is_valid(value)) {
    errors->Add(path, absl::StrCat("unknown value ", value));
  } else if (required && value == 0) {
    errors->Add(path, "is required");
  }
}

void CheckThemes(const google::protobuf::RepeatedField<int>& themes, absl::string_view prefix,
                 FieldErrors* errors) {
  std::set<int> seen;
  for (int i = 0; i < themes.size(); ++i) {
    CheckEnum(themes[i], v1::Theme_IsValid, true, Item(prefix, "themes", i), errors);
    if (!seen.insert(themes[i]).second) errors->Add(Item(prefix, "themes", i), "is listed twice");
  }
}

void CheckContact(const v1::Contact& c, const std::string& prefix, FieldErrors* errors) {
  RequireName(c.name(), Path(prefix, "name"), errors);
  MaxLength(c.role(), kMaxName, Path(prefix, "role"), errors);
  CheckEmail(c.email(), Path(prefix, "email"), errors);
  CheckPhone(c.phone(), Path(prefix, "phone"), errors);
}

void CheckPoint(const v1::GeoPoint& p, const std::string& prefix, FieldErrors* errors) {
  if (!std::isfinite(p.latitude()) || p.latitude() < -90 || p.latitude() > 90)
    errors->Add(Path(prefix, "latitude"), "must be between -90 and 90");
  if (!std::isfinite(p.longitude()) || p.longitude() < -180 || p.longitude() > 180)
    errors->Add(Path(prefix, "longitude"), "must be between -180 and 180");
}

void CheckRegion(const v1::Region& r, const std::string& prefix, FieldErrors* errors) {
  if (!r.province().empty() && !IsProvinceCode(r.province()))
    errors->Add(Path(prefix, "province"), "must be a CBS province code PV20..PV31");
  if (!r.corop().empty() && !IsCoropCode(r.corop()))
    errors->Add(Path(prefix, "corop"), "must be a CBS COROP code CR01..CR40");
  if (!r.municipality().empty() && !IsMunicipalityCode(r.municipality()))
    errors->Add(Path(prefix, "municipality"),
                "must be a CBS municipality code GMxxxx of today's municipalities");
  if (!r.corop().empty() && !r.province().empty() && IsCoropCode(r.corop()) &&
      FindRegion(r.corop())->province != r.province())
    errors->Add(Path(prefix, "corop"), absl::StrCat("lies outside province ", r.province()));
  if (const RegionInfo* m =
          IsMunicipalityCode(r.municipality()) ? FindRegion(r.municipality()) : nullptr) {
    if (!r.corop().empty() && IsCoropCode(r.corop()) && m->corop != r.corop())
      errors->Add(Path(prefix, "municipality"),
                  absl::StrCat("lies outside COROP area ", r.corop()));
    else if (!r.province().empty() && IsProvinceCode(r.province()) && m->province != r.province())
      errors->Add(Path(prefix, "municipality"),
                  absl::StrCat("lies outside province ", r.province()));
  }
}

void CheckLocation(const v1::Location& l, const std::string& prefix, bool point_required,
                   FieldErrors* errors) {
  if (l.has_point()) {
    CheckPoint(l.point(), Path(prefix, "point"), errors);
  } else if (point_required) {
    errors->Add(Path(prefix, "point"), "is required");
  }
  CheckRegion(l.region(), Path(prefix, "region"), errors);
  const auto& a = l.address();
  MaxLength(a.street(), kMaxName, Path(prefix, "address.street"), errors);
  MaxLength(a.city(), kMaxName, Path(prefix, "address.city"), errors);
  if (!a.postal_code().empty() && a.country() == "NL") {
    const std::string& pc = a.postal_code();
    bool ok = pc.size() == 7 && pc[4] == ' ' && absl::ascii_isdigit(pc[0]) && pc[0] != '0' &&
              absl::ascii_isdigit(pc[1]) && absl::ascii_isdigit(pc[2]) &&
              absl::ascii_isdigit(pc[3]) && absl::ascii_isupper(pc[5]) &&
              absl::ascii_isupper(pc[6]);
    if (!ok) errors->Add(Path(prefix, "address.postal_code"), "must look like \"1234 AB\"");
  }
  if (!a.country().empty() && (a.country().size() != 2 || !absl::ascii_isupper(a.country()[0]) ||
                               !absl::ascii_isupper(a.country()[1])))
    errors->Add(Path(prefix, "address.country"), "must be an ISO 3166-1 alpha-2 code");
}

void DefaultCountry(v1::Location* l) {
  if (l->has_address() && l->address().country().empty()) l->mutable_address()->set_country("NL");
}

bool IsDigitalKind(int kind) {
  return kind == v1::RESOURCE_KIND_SIMULATION || kind == v1::RESOURCE_KIND_DIGITAL_TWIN ||
         kind == v1::RESOURCE_KIND_REMOTE_LAB;
}

void CheckMinutes(int value, int max, const std::string& path, FieldErrors* errors) {
  if (value < 0 || value > max) errors->Add(path, absl::StrCat("must be between 0 and ", max));
}

}  // namespace

void ApplyDefaults(v1::Organization* o) {
  if (o->has_location()) DefaultCountry(o->mutable_location());
}

void ApplyDefaults(v1::Network*) {}

void ApplyDefaults(v1::Resource* r) {
  if (r->mobility() == v1::MOBILITY_UNSPECIFIED) {
    if (IsDigitalKind(r->kind())) {
      r->set_mobility(v1::MOBILITY_VIRTUAL);
    } else if (r->kind() == v1::RESOURCE_KIND_MOBILE_LAB) {
      r->set_mobility(v1::MOBILITY_MOBILE);
    } else {
      r->set_mobility(v1::MOBILITY_FIXED);
    }
  }
  if (r->time_zone().empty()) r->set_time_zone(std::string(kDefaultTimeZone));
  if (r->booking_mode() == v1::BOOKING_MODE_UNSPECIFIED)
    r->set_booking_mode(v1::BOOKING_MODE_EXCLUSIVE);
  if (r->capacity() == 0) r->set_capacity(1);
  if (r->access_policy() == v1::ACCESS_POLICY_UNSPECIFIED)
    r->set_access_policy(v1::ACCESS_POLICY_NETWORK_MEMBERS);
  if (r->terms().kind() == v1::TERMS_KIND_UNSPECIFIED)
    r->mutable_terms()->set_kind(v1::TERMS_KIND_FREE);
  if (r->lifecycle().state() == v1::LIFECYCLE_STATE_UNSPECIFIED)
    r->mutable_lifecycle()->set_state(v1::LIFECYCLE_STATE_ACTIVE);
  if (r->has_location()) DefaultCountry(r->mutable_location());
  if (r->has_home_base()) DefaultCountry(r->mutable_home_base());
  // A mobile unit that names only its home base is, when parked, at its home base.
  if (r->mobility() == v1::MOBILITY_MOBILE && !r->has_location() && r->has_home_base())
    *r->mutable_location() = r->home_base();
}

void Validate(const v1::Organization& o, absl::string_view prefix, FieldErrors* errors) {
  RequireName(o.display_name(), Path(prefix, "display_name"), errors);
  CheckEnum(o.kind(), v1::OrganizationKind_IsValid, true, Path(prefix, "kind"), errors);
  CheckEnum(o.size_class(), v1::SizeClass_IsValid, false, Path(prefix, "size_class"), errors);
  if (o.sme() && o.size_class() == v1::SIZE_CLASS_LARGE)
    errors->Add(Path(prefix, "size_class"), "an SME cannot be LARGE");
  if (o.sme() && o.kind() != v1::ORGANIZATION_KIND_COMPANY)
    errors->Add(Path(prefix, "sme"), "only companies are SMEs");
  if (o.sbi_codes_size() > 20) errors->Add(Path(prefix, "sbi_codes"), "at most 20 codes");
  for (int i = 0; i < o.sbi_codes_size(); ++i) {
    const std::string& code = o.sbi_codes(i);
    bool ok = code.size() >= 2 && code.size() <= 6 && absl::ascii_isdigit(code[0]) &&
              absl::ascii_isdigit(code[1]);
    for (size_t k = 2; ok && k < code.size(); ++k)
      ok = absl::ascii_isdigit(code[k]) || (k == 2 && code[k] == '.' && code.size() > 3);
    if (!ok) errors->Add(Item(prefix, "sbi_codes", i), "must be an SBI code such as \"62.01\"");
  }
  if (o.has_location()) CheckLocation(o.location(), Path(prefix, "location"), false, errors);
  if (o.contacts_size() > 20) errors->Add(Path(prefix, "contacts"), "at most 20 contacts");
  for (int i = 0; i < o.contacts_size(); ++i)
    CheckContact(o.contacts(i), Item(prefix, "contacts", i), errors);
  CheckUrl(o.website(), Path(prefix, "website"), errors);
}

void Validate(const v1::Network& n, absl::string_view prefix, FieldErrors* errors) {
  RequireName(n.display_name(), Path(prefix, "display_name"), errors);
  MaxLength(n.description(), kMaxDescription, Path(prefix, "description"), errors);
  if (n.region_codes_size() > kMaxListItems)
    errors->Add(Path(prefix, "region_codes"), "at most 50 codes");
  for (int i = 0; i < n.region_codes_size(); ++i)
    if (!IsRegionCode(n.region_codes(i)))
      errors->Add(Item(prefix, "region_codes", i), RegionCodeHint(n.region_codes(i)));
  CheckThemes(n.themes(), prefix, errors);
  CheckIds(n.member_organization_ids(), prefix, "member_organization_ids", errors);
  if (n.coordinators_size() > 20) errors->Add(Path(prefix, "coordinators"), "at most 20");
  for (int i = 0; i < n.coordinators_size(); ++i)
    CheckContact(n.coordinators(i), Item(prefix, "coordinators", i), errors);
}

namespace {

// Where a resource is: a fixed one at its location, a mobile one at its home base (and maybe
// elsewhere now), a virtual one at its URL.
void CheckPlace(const v1::Resource& r, absl::string_view prefix, FieldErrors* errors) {
  switch (r.mobility()) {
    case v1::MOBILITY_FIXED:
      CheckLocation(r.location(), Path(prefix, "location"), true, errors);
      break;
    case v1::MOBILITY_MOBILE:
      if (!r.has_home_base()) {
        errors->Add(Path(prefix, "home_base"), "is required for a mobile resource");
      } else {
        CheckLocation(r.home_base(), Path(prefix, "home_base"), true, errors);
      }
      if (r.has_location()) CheckLocation(r.location(), Path(prefix, "location"), false, errors);
      break;
    case v1::MOBILITY_VIRTUAL:
      if (r.url().empty()) errors->Add(Path(prefix, "url"), "is required for a virtual resource");
      if (r.has_location()) CheckLocation(r.location(), Path(prefix, "location"), false, errors);
      break;
    default:
      break;
  }
}

void CheckTerms(const v1::Terms& t, absl::string_view prefix, FieldErrors* errors) {
  CheckEnum(t.kind(), v1::TermsKind_IsValid, true, Path(prefix, "terms.kind"), errors);
  if (t.tariff_per_hour_cents() < 0)
    errors->Add(Path(prefix, "terms.tariff_per_hour_cents"), "must not be negative");
  if (t.tariff_per_day_cents() < 0)
    errors->Add(Path(prefix, "terms.tariff_per_day_cents"), "must not be negative");
  if (t.kind() == v1::TERMS_KIND_TARIFF && t.tariff_per_hour_cents() == 0 &&
      t.tariff_per_day_cents() == 0)
    errors->Add(Path(prefix, "terms.tariff_per_hour_cents"),
                "a tariff needs an hourly or daily price");
  if (t.kind() != v1::TERMS_KIND_TARIFF &&
      (t.tariff_per_hour_cents() != 0 || t.tariff_per_day_cents() != 0))
    errors->Add(Path(prefix, "terms.kind"), "prices are set only with TERMS_KIND_TARIFF");
  MaxLength(t.notes(), kMaxDescription, Path(prefix, "terms.notes"), errors);
}

void CheckStaff(const v1::Resource& r, absl::string_view prefix, FieldErrors* errors) {
  if (r.staff_size() > 20) errors->Add(Path(prefix, "staff"), "at most 20 staff contacts");
  for (int i = 0; i < r.staff_size(); ++i) {
    const auto& s = r.staff(i);
    std::string p = Item(prefix, "staff", i);
    RequireName(s.name(), Path(p, "name"), errors);
    CheckEnum(s.role(), v1::StaffRole_IsValid, true, Path(p, "role"), errors);
    CheckEmail(s.email(), Path(p, "email"), errors);
    CheckPhone(s.phone(), Path(p, "phone"), errors);
  }
}

void CheckLifecycle(const v1::Lifecycle& l, absl::string_view prefix, FieldErrors* errors) {
  CheckEnum(l.state(), v1::LifecycleState_IsValid, true, Path(prefix, "lifecycle.state"), errors);
  if (l.state() == v1::LIFECYCLE_STATE_PLANNED && !ParseDate(l.expected_date()))
    errors->Add(Path(prefix, "lifecycle.expected_date"),
                "a planned resource needs an expected date YYYY-MM-DD from 1970-01-01 to "
                "2200-12-31");
  else if (!l.expected_date().empty() && !ParseDate(l.expected_date()))
    errors->Add(Path(prefix, "lifecycle.expected_date"),
                "must be a date YYYY-MM-DD from 1970-01-01 to 2200-12-31");
  MaxLength(l.funding_source(), kMaxName, Path(prefix, "lifecycle.funding_source"), errors);
}

void CheckBookingRules(const v1::BookingRules& b, absl::string_view prefix, FieldErrors* errors) {
  std::string bp = Path(prefix, "booking_rules");
  CheckMinutes(b.min_duration_minutes(), 525600, Path(bp, "min_duration_minutes"), errors);
  CheckMinutes(b.max_duration_minutes(), 525600, Path(bp, "max_duration_minutes"), errors);
  if (b.max_duration_minutes() > 0 && b.max_duration_minutes() < b.min_duration_minutes())
    errors->Add(Path(bp, "max_duration_minutes"), "must not be below min_duration_minutes");
  CheckMinutes(b.lead_time_minutes(), 525600, Path(bp, "lead_time_minutes"), errors);
  CheckMinutes(b.max_advance_days(), 3660, Path(bp, "max_advance_days"), errors);
  CheckMinutes(b.buffer_before_minutes(), 1440, Path(bp, "buffer_before_minutes"), errors);
  CheckMinutes(b.buffer_after_minutes(), 1440, Path(bp, "buffer_after_minutes"), errors);
  CheckMinutes(b.quota_hours(), 8784, Path(bp, "quota_hours"), errors);
  CheckEnum(b.quota_period(), v1::QuotaPeriod_IsValid, false, Path(bp, "quota_period"), errors);
  CheckMinutes(b.sme_share_percent(), 100, Path(bp, "sme_share_percent"), errors);
  CheckMinutes(b.sme_release_days(), 3660, Path(bp, "sme_release_days"), errors);
}

// The optional parts only make sense for a resource that is listed at all; refusing them otherwise
// keeps an owner from believing a part is public when nothing is.
void CheckPublication(const v1::ResourcePublication& p, absl::string_view prefix,
                      FieldErrors* errors) {
  if (p.listed()) return;
  const std::string why = "is set only with publication.listed";
  if (p.show_terms()) errors->Add(Path(prefix, "publication.show_terms"), why);
  if (p.show_contact_roles()) errors->Add(Path(prefix, "publication.show_contact_roles"), why);
  if (p.show_availability()) errors->Add(Path(prefix, "publication.show_availability"), why);
}

}  // namespace

void Validate(const v1::Resource& r, absl::string_view prefix, FieldErrors* errors) {
  RequireName(r.display_name(), Path(prefix, "display_name"), errors);
  MaxLength(r.description(), kMaxDescription, Path(prefix, "description"), errors);
  CheckEnum(r.kind(), v1::ResourceKind_IsValid, true, Path(prefix, "kind"), errors);
  CheckEnum(r.mobility(), v1::Mobility_IsValid, true, Path(prefix, "mobility"), errors);
  CheckPlace(r, prefix, errors);
  CheckUrl(r.url(), Path(prefix, "url"), errors);
  if (r.owner_organization_id().empty()) {
    errors->Add(Path(prefix, "owner_organization_id"), "is required");
  } else {
    CheckId(r.owner_organization_id(), Path(prefix, "owner_organization_id"), errors);
  }
  CheckIds(r.shared_with_network_ids(), prefix, "shared_with_network_ids", errors);
  if (!r.parent_resource_id().empty()) {
    CheckId(r.parent_resource_id(), Path(prefix, "parent_resource_id"), errors);
    if (r.parent_resource_id() == r.id())
      errors->Add(Path(prefix, "parent_resource_id"), "a resource cannot contain itself");
  }
  CheckThemes(r.themes(), prefix, errors);
  if (r.tags_size() > 30) errors->Add(Path(prefix, "tags"), "at most 30 tags");
  for (int i = 0; i < r.tags_size(); ++i)
    if (r.tags(i).empty() || r.tags(i).size() > 40)
      errors->Add(Item(prefix, "tags", i), "must be 1 to 40 characters");
    else if (r.tags(i).find('|') != std::string::npos)
      // The CSV export and import join a resource's tags with '|' in one cell.
      errors->Add(Item(prefix, "tags", i), "must not contain '|' (it separates tags in CSV)");
  if (FindTimeZone(r.time_zone()) == nullptr)
    errors->Add(Path(prefix, "time_zone"),
                absl::StrCat("unknown IANA time zone '", r.time_zone(), "'"));
  CheckEnum(r.booking_mode(), v1::BookingMode_IsValid, true, Path(prefix, "booking_mode"), errors);
  if (r.booking_mode() == v1::BOOKING_MODE_EXCLUSIVE && r.capacity() != 1)
    errors->Add(Path(prefix, "capacity"), "an exclusive resource has capacity 1");
  if (r.capacity() < 1 || r.capacity() > 100000)
    errors->Add(Path(prefix, "capacity"), "must be between 1 and 100000");
  CheckEnum(r.access_policy(), v1::AccessPolicy_IsValid, true, Path(prefix, "access_policy"),
            errors);
  CheckTerms(r.terms(), prefix, errors);
  CheckStaff(r, prefix, errors);
  CheckLifecycle(r.lifecycle(), prefix, errors);
  CheckBookingRules(r.booking_rules(), prefix, errors);
  CheckPublication(r.publication(), prefix, errors);
}

void ValidateAvailability(const v1::PublishAvailabilityRequest& request, FieldErrors* errors) {
  if (request.rules_size() > 50) errors->Add("rules", "at most 50 rules");
  for (int i = 0; i < request.rules_size(); ++i)
    ValidateAvailabilityRule(request.rules(i), absl::StrCat("rules[", i, "]"), errors);
  if (request.closures_size() > 1000) errors->Add("closures", "at most 1000 closures");
  for (int i = 0; i < request.closures_size(); ++i) {
    const auto& c = request.closures(i);
    std::string p = absl::StrCat("closures[", i, "]");
    if (!c.has_start_time()) errors->Add(Path(p, "start_time"), "is required");
    if (!c.has_end_time()) errors->Add(Path(p, "end_time"), "is required");
    if (c.has_start_time() && c.has_end_time() &&
        (c.end_time().seconds() < c.start_time().seconds() ||
         (c.end_time().seconds() == c.start_time().seconds() &&
          c.end_time().nanos() <= c.start_time().nanos())))
      errors->Add(Path(p, "end_time"), "must be after start_time");
    CheckEnum(c.kind(), v1::ClosureKind_IsValid, false, Path(p, "kind"), errors);
    MaxLength(c.reason(), kMaxName, Path(p, "reason"), errors);
  }
}

absl::Status CheckUpdateMask(const FieldMask& mask, const google::protobuf::Descriptor* descriptor,
                             absl::string_view object_field, absl::string_view mask_field) {
  static const std::set<std::string> kImmutable = {"id", "etag", "audit", "owner_organization_id"};
  for (int i = 0; i < mask.paths_size(); ++i) {
    const std::string& path = mask.paths(i);
    std::string field = absl::StrCat(mask_field, ".paths[", i, "]");
    if (!FieldMaskUtil::GetFieldDescriptors(descriptor, path, nullptr))
      return InvalidField(field, absl::StrCat("'", path, "' is not a field of ", object_field));
    std::string head = path.substr(0, path.find('.'));
    if (kImmutable.count(head))
      return InvalidField(field, absl::StrCat("'", head, "' cannot be changed by an update"));
  }
  return absl::OkStatus();
}

void ApplyUpdate(const google::protobuf::Message& patch, const FieldMask& mask,
                 google::protobuf::Message* target) {
  FieldMask effective = mask;
  if (effective.paths_size() == 0) {
    const auto* descriptor = target->GetDescriptor();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const std::string& name = descriptor->field(i)->name();
      if (name != "id" && name != "etag" && name != "audit" && name != "owner_organization_id")
        effective.add_paths(name);
    }
  }
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(patch, effective, options, target);
}

namespace {

void AddPresentPaths(const google::protobuf::Message& m, const std::string& prefix, bool top,
                     FieldMask* mask) {
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  for (const auto* f : fields) {
    if (top && (f->name() == "id" || f->name() == "etag" || f->name() == "audit" ||
                f->name() == "owner_organization_id"))
      continue;
    const std::string path = prefix.empty() ? f->name() : prefix + "." + f->name();
    const bool nested = f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
                        !f->is_repeated() &&
                        f->message_type()->file()->package() != "google.protobuf";
    const int before = mask->paths_size();
    if (nested) AddPresentPaths(m.GetReflection()->GetMessage(m, f), path, false, mask);
    if (mask->paths_size() == before) mask->add_paths(path);  // a leaf, a list, or an empty message
  }
}

}  // namespace

FieldMask PresentFields(const google::protobuf::Message& patch) {
  FieldMask mask;
  AddPresentPaths(patch, "", true, &mask);
  return mask;
}

namespace {

// Every value of a list of enum values known and specified.
template <typename Values>
void CheckEnums(const Values& values, bool (*valid)(int), absl::string_view field,
                absl::string_view what, FieldErrors* errors) {
  for (int i = 0; i < values.size(); ++i)
    if (!valid(values[i]) || values[i] == 0)
      errors->Add(Item("", field, i), absl::StrCat(what, " ", values[i]));
}

void ValidateSearchArea(const v1::SearchResourcesRequest& request, FieldErrors* errors) {
  if (request.has_within()) {
    const auto& c = request.within().center();
    if (!(c.latitude() >= -90 && c.latitude() <= 90))
      errors->Add("within.center.latitude", "must be between -90 and 90");
    if (!(c.longitude() >= -180 && c.longitude() <= 180))
      errors->Add("within.center.longitude", "must be between -180 and 180");
    if (!(request.within().radius_km() > 0 && request.within().radius_km() <= 1000))
      errors->Add("within.radius_km", "must be above 0 and at most 1000");
  }
  if (request.has_box()) {
    const auto& sw = request.box().south_west();
    const auto& ne = request.box().north_east();
    if (!(sw.latitude() >= -90 && sw.latitude() <= 90 && ne.latitude() >= -90 &&
          ne.latitude() <= 90 && sw.latitude() <= ne.latitude()))
      errors->Add("box", "latitudes must lie in -90..90 with south_west below north_east");
    if (!(sw.longitude() >= -180 && sw.longitude() <= 180 && ne.longitude() >= -180 &&
          ne.longitude() <= 180 && sw.longitude() <= ne.longitude()))
      errors->Add("box", "longitudes must lie in -180..180 with south_west west of north_east");
  }
}

}  // namespace

void ValidateSearch(const v1::SearchResourcesRequest& request, FieldErrors* errors) {
  CheckEnums(request.kinds(), v1::ResourceKind_IsValid, "kinds", "unknown resource kind", errors);
  CheckEnums(request.mobilities(), v1::Mobility_IsValid, "mobilities", "unknown mobility", errors);
  CheckEnums(request.themes(), v1::Theme_IsValid, "themes", "unknown theme", errors);
  for (int i = 0; i < request.region_codes_size(); ++i)
    if (!IsRegionCode(request.region_codes(i)))
      errors->Add(Item("", "region_codes", i), RegionCodeHint(request.region_codes(i)));
  CheckEnums(request.terms_kinds(), v1::TermsKind_IsValid, "terms_kinds", "unknown terms kind",
             errors);
  CheckEnums(request.lifecycle_states(), v1::LifecycleState_IsValid, "lifecycle_states",
             "unknown lifecycle state", errors);
  ValidateSearchArea(request, errors);
  if (request.text_prefix().size() > 100) errors->Add("text_prefix", "at most 100 characters");
  if (!v1::SearchOrder_IsValid(request.order_by()))
    errors->Add("order_by", absl::StrCat("unknown order ", request.order_by()));
  if (request.order_by() == v1::SEARCH_ORDER_DISTANCE && !request.has_within())
    errors->Add("order_by", "ordering by distance needs a `within` circle");
}

}  // namespace infrashare::registry
