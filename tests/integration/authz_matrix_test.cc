// The authorization matrix (issue #12): every RPC of the public API, from the descriptors, aimed at
// one organisation's objects by another organisation's tokens (every role short of platform
// admin) and by the organisation's own tokens of a lower role than the call needs. A new RPC is
// called by itself; the test fails until it is classified in kRules and its id fields are mapped
// in kAim. Real server, real Redis, real gRPC (a generic stub with serialized requests); with
// INFRASHARE_TEST_OVER_REST=1 every probe goes over REST/JSON on the HTTP listener instead
// (ctest authz_matrix_rest).
#include <google/protobuf/message.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "infrashare/programme/v1/programme.grpc.pb.h"
#include "infrashare/webhook/v1/webhook.grpc.pb.h"
#include "services/common/audit.h"
#include "tests/support/generic_call.h"
#include "tests/support/rest_call.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
namespace sch = scheduler::v1;
namespace dsk = desk::v1;
namespace prg = programme::v1;
namespace whk = webhook::v1;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

using auth::v1::Role;
using Roles = std::set<Role>;

// Which of the owner organisation's own tokens may make a call on its objects, by role.
const Roles kAnyRole = {auth::v1::ROLE_ORGANIZATION_ADMIN, auth::v1::ROLE_MEMBER,
                        auth::v1::ROLE_READ_ONLY_INTEGRATOR, auth::v1::ROLE_DESK_RESPONDER};
const Roles kStaff = {auth::v1::ROLE_ORGANIZATION_ADMIN, auth::v1::ROLE_MEMBER};
const Roles kStaffOrResponder = {auth::v1::ROLE_ORGANIZATION_ADMIN, auth::v1::ROLE_MEMBER,
                                 auth::v1::ROLE_DESK_RESPONDER};
const Roles kAdmins = {auth::v1::ROLE_ORGANIZATION_ADMIN};
const Roles kNoOwnerRole = {};  // network coordinators or platform admins only

enum class Kind {
  kRead,        // allowed-but-redacted, or refused
  kWrite,       // refused: PERMISSION_DENIED or NOT_FOUND, never OK
  kWritePerRow  // answers OK with a result per row: every row must be refused
};

struct Rule {
  Kind kind;
  // The owner's roles that may make the call; its other tokens are refused. Foreign tokens are
  // refused a write, and a read that not every owner's role may make.
  Roles owner_roles;
  // Fields of which the request takes exactly one: one probe per field.
  std::vector<std::string> alternatives = {};
  // A refusal other than PERMISSION_DENIED or NOT_FOUND that reveals nothing private (say why).
  grpc::StatusCode also_refused = grpc::StatusCode::PERMISSION_DENIED;
};

// Every method of the API, classified. A method missing here fails the test ("classify ...").
const std::map<std::string, Rule> kRules = {
    {"auth.CreateToken", {Kind::kWrite, kAdmins}},
    {"auth.ListTokens", {Kind::kRead, kAdmins}},
    {"auth.RevokeToken", {Kind::kWrite, kAdmins}},
    {"auth.RotateToken", {Kind::kWrite, kAdmins}},
    {"auth.WhoAmI", {Kind::kRead, kAnyRole}},
    {"auth.ListAuditEvents", {Kind::kRead, kAdmins}},

    // Coordinators add organisations; the registry of organisations is public, so a taken id
    // reveals nothing.
    {"registry.CreateOrganization",
     {Kind::kWrite, kNoOwnerRole, {}, grpc::StatusCode::ALREADY_EXISTS}},
    {"registry.GetOrganization", {Kind::kRead, kAnyRole}},
    {"registry.UpdateOrganization", {Kind::kWrite, kAdmins}},
    {"registry.DeleteOrganization", {Kind::kWrite, kNoOwnerRole}},
    {"registry.ListOrganizations", {Kind::kRead, kAnyRole}},
    {"registry.CreateNetwork", {Kind::kWrite, kNoOwnerRole}},
    {"registry.GetNetwork", {Kind::kRead, kAnyRole}},
    {"registry.UpdateNetwork", {Kind::kWrite, kNoOwnerRole}},
    {"registry.DeleteNetwork", {Kind::kWrite, kNoOwnerRole}},
    {"registry.ListNetworks", {Kind::kRead, kAnyRole}},
    {"registry.CreateResource", {Kind::kWrite, kStaff}},
    {"registry.GetResource", {Kind::kRead, kAnyRole}},
    {"registry.UpdateResource", {Kind::kWrite, kStaff}},
    {"registry.DeleteResource", {Kind::kWrite, kStaff}},
    {"registry.ListResources", {Kind::kRead, kAnyRole}},
    {"registry.PublishAvailability", {Kind::kWrite, kStaff}},
    {"registry.GetAvailability", {Kind::kRead, kAnyRole}},
    {"registry.SearchResources", {Kind::kRead, kAnyRole}},
    {"registry.WatchResources", {Kind::kRead, kAnyRole}},
    {"registry.CoverageReport", {Kind::kRead, kAnyRole}},
    {"registry.OverlapReport", {Kind::kRead, kAnyRole}},
    {"registry.ImportResources", {Kind::kWritePerRow, kStaff}},

    {"scheduler.CreateBooking", {Kind::kWrite, kStaff}},
    {"scheduler.CreateRecurringBooking", {Kind::kWrite, kStaff}},
    {"scheduler.GetBooking", {Kind::kRead, kAnyRole}},
    {"scheduler.SubmitBooking", {Kind::kWrite, kStaff}},
    {"scheduler.ApproveBooking", {Kind::kWrite, kStaff}},
    {"scheduler.RejectBooking", {Kind::kWrite, kStaff}},
    {"scheduler.CancelBooking", {Kind::kWrite, kStaff}},
    {"scheduler.CheckInBooking", {Kind::kWrite, kStaff}},
    {"scheduler.ListBookings", {Kind::kRead, kAnyRole, {"resource_id", "organization_id"}}},
    {"scheduler.RecordTraining", {Kind::kWrite, kStaff}},
    {"scheduler.JoinWaitlist", {Kind::kWrite, kStaff}},
    {"scheduler.LeaveWaitlist", {Kind::kWrite, kStaff}},
    {"scheduler.ListWaitlist", {Kind::kRead, kAnyRole}},
    {"scheduler.CheckAvailability", {Kind::kRead, kAnyRole}},
    {"scheduler.ExportCalendar", {Kind::kRead, kAnyRole, {"resource_id", "organization_id"}}},
    {"scheduler.CreateCalendarFeed", {Kind::kWrite, kStaff, {"organization_id", "resource_id"}}},
    {"scheduler.ListCalendarFeeds", {Kind::kRead, kStaff}},
    {"scheduler.RevokeCalendarFeed", {Kind::kWrite, kStaff}},
    {"scheduler.FindSlots", {Kind::kRead, kAnyRole}},
    {"scheduler.UsageReport", {Kind::kRead, kAnyRole, {"organization_id", "network_id"}}},
    {"scheduler.WatchBookings", {Kind::kRead, kAnyRole}},
    {"scheduler.CreateRotationPool", {Kind::kWrite, kStaff}},
    {"scheduler.GetRotationPool", {Kind::kRead, kAnyRole}},
    {"scheduler.ListRotationPools", {Kind::kRead, kAnyRole}},
    {"scheduler.CreateRotationRequest", {Kind::kWrite, kStaff}},
    {"scheduler.GetRotationRequest", {Kind::kRead, kAnyRole}},
    {"scheduler.UpdateRotationRequest", {Kind::kWrite, kStaff}},
    {"scheduler.WithdrawRotationRequest", {Kind::kWrite, kStaff}},
    {"scheduler.ListRotationRequests", {Kind::kRead, kAnyRole}},
    {"scheduler.PlanRotation", {Kind::kWrite, kStaff}},
    {"scheduler.GetRotationPlan", {Kind::kRead, kAnyRole}},
    {"scheduler.ExportRotationPlan", {Kind::kRead, kAnyRole}},
    {"scheduler.PreviewRotationPlan", {Kind::kRead, kAnyRole}},
    {"scheduler.CommitRotationPlan", {Kind::kWrite, kStaff}},
    {"scheduler.ListHandovers", {Kind::kRead, kAnyRole}},
    {"scheduler.ConfirmHandover", {Kind::kWrite, kStaff}},
    {"scheduler.WatchRotationEvents", {Kind::kRead, kAnyRole}},

    {"desk.CreateResponder", {Kind::kWrite, kAdmins}},
    {"desk.GetResponder", {Kind::kRead, kAnyRole}},
    {"desk.UpdateResponder", {Kind::kWrite, kAdmins}},
    {"desk.SetResponderOnline", {Kind::kWrite, kAdmins}},
    {"desk.DeleteResponder", {Kind::kWrite, kAdmins}},
    {"desk.ListResponders", {Kind::kRead, kAnyRole}},
    {"desk.SubmitInquiry", {Kind::kWrite, kStaffOrResponder}},  // a responder takes questions in
    {"desk.GetInquiry", {Kind::kRead, kAnyRole}},
    {"desk.ListInquiries",
     {Kind::kRead, kAnyRole, {"network_id", "entry_organization_id", "responder_id"}}},
    {"desk.ListAssignments", {Kind::kRead, kAnyRole}},
    {"desk.AcceptInquiry", {Kind::kWrite, kAdmins}},
    {"desk.DeclineInquiry", {Kind::kWrite, kAdmins}},
    {"desk.ReferInquiry",
     {Kind::kWrite,
      kAdmins,
      {"target_organization_id", "target_responder_id", "target_network_id"}}},
    {"desk.ResolveInquiry", {Kind::kWrite, kAdmins}},
    {"desk.RecordFeedback", {Kind::kWrite, kStaff}},
    {"desk.EraseAsker", {Kind::kWrite, kStaff}},
    {"desk.RecordConsent", {Kind::kWrite, kStaff}},
    {"desk.RecordFollowUp", {Kind::kWrite, kStaff}},
    {"desk.GetDeskReport", {Kind::kRead, kNoOwnerRole}},
    {"privacy.ExportPersonalData", {Kind::kRead, kNoOwnerRole}},
    {"privacy.ErasePersonalData", {Kind::kWrite, kNoOwnerRole}},
    {"desk.StreamAssignments", {Kind::kRead, kAnyRole}},
    {"desk.WatchInquiry", {Kind::kRead, kAnyRole}},

    // The owner's event at its lab, for its network's partners only: another network's tokens do
    // not see it, let alone change it or register for it.
    {"programme.CreateEvent", {Kind::kWrite, kStaff}},
    {"programme.GetEvent", {Kind::kRead, kAnyRole}},
    {"programme.UpdateEvent", {Kind::kWrite, kStaff}},
    {"programme.CancelEvent", {Kind::kWrite, kStaff}},
    {"programme.ListEvents", {Kind::kRead, kAnyRole}},
    {"programme.Register", {Kind::kWrite, kStaff}},
    {"programme.CancelRegistration", {Kind::kWrite, kStaff}},
    {"programme.ListRegistrations", {Kind::kRead, kStaff}},  // registrants' names: the organiser
    {"programme.RecordAttendance", {Kind::kWrite, kStaff}},
    {"programme.ExportProgrammeCalendar", {Kind::kRead, kAnyRole, {"resource_id", "network_id"}}},
    {"impact.GetImpactReport", {Kind::kRead, kNoOwnerRole}},
    {"impact.ExportImpactReport", {Kind::kRead, kNoOwnerRole}},

    // An organisation's webhook subscriptions are its admins' to manage and read: their targets,
    // descriptions and delivery logs are not for the organisation's other tokens.
    {"webhook.CreateWebhookSubscription", {Kind::kWrite, kAdmins}},
    {"webhook.GetWebhookSubscription", {Kind::kRead, kAdmins}},
    {"webhook.ListWebhookSubscriptions", {Kind::kRead, kAdmins}},
    {"webhook.UpdateWebhookSubscription", {Kind::kWrite, kAdmins}},
    {"webhook.DeleteWebhookSubscription", {Kind::kWrite, kAdmins}},
    {"webhook.RotateWebhookSecret", {Kind::kWrite, kAdmins}},
    {"webhook.ListWebhookDeliveries", {Kind::kRead, kAdmins}},
    {"webhook.ListWebhookDeadLetters", {Kind::kRead, kAdmins}},
    {"webhook.RedeliverWebhookDeadLetters", {Kind::kWrite, kAdmins}},
};

// Strings planted in the owner's private fields, and the owner's roles that may read each. A
// foreign token may read none of them.
struct Sentinel {
  const char* text;
  const Roles& owner_roles;
};
constexpr const char* kBookingTitle = "SECRET-TITLE-7f3a";
constexpr const char* kBookingNotes = "SECRET-NOTES-7f3a";
constexpr const char* kWaitlistTitle = "SECRET-WAITING-7f3a";
constexpr const char* kStaffEmail = "staff-secret@example.nl";
constexpr const char* kStaffPhone = "+31 6 7777 3917";
constexpr const char* kRotationNotes = "SECRET-ROTATION-7f3a";
constexpr const char* kAskerEmail = "asker-secret@example.nl";
constexpr const char* kAskerPhone = "+31 6 5555 7193";
constexpr const char* kTokenDescription = "SECRET-TOKEN-7f3a";
constexpr const char* kRegistrantEmail = "registrant-secret@example.nl";
constexpr const char* kFeedDescription = "SECRET-FEED-7f3a";
constexpr const char* kWebhookDescription = "SECRET-WEBHOOK-7f3a";
constexpr const char* kResponderEmail = "responder-secret@example.nl";
// Asker contacts: the entry partner's staff, not its integrations.
const std::vector<Sentinel> kSentinels = {
    {kBookingTitle, kAnyRole},   {kBookingNotes, kAnyRole},  {kWaitlistTitle, kAnyRole},
    {kStaffEmail, kAnyRole},     {kStaffPhone, kAnyRole},    {kRotationNotes, kAnyRole},
    {kAskerEmail, kStaff},       {kAskerPhone, kStaff},      {kTokenDescription, kAdmins},
    {kRegistrantEmail, kStaff},  {kFeedDescription, kStaff}, {kWebhookDescription, kAdmins},
    {kResponderEmail, kAnyRole},
};

// The owner's world, made through the API; every id the matrix aims at.
struct World {
  const std::string owner = "owner", foreign = "foreign", partner = "partner";
  const std::string owner_net = "net-owner";  // the owner and the partner
  const std::string shared_net =
      "net-shared";  // the owner and the foreign organisation: the desk's
  const std::string foreign_net = "net-foreign";
  std::string lab, unit, booking, waitlist_entry, pool, rotation_request, plan, handover;
  std::string responder, inquiry, token;  // token: a member token of the owner, with a description
  std::string event, registration;        // the owner's event; a partner's named person registered
  // A calendar feed of the owner's bookings, and its secret: no answer to anyone may hold it again.
  std::string calendar_feed, feed_secret;
  // A webhook subscription of the owner, and its signing secret: no answer may hold it again.
  std::string webhook, webhook_secret;
  const std::string fresh = "matrix-new";  // a client-chosen id nothing has
  // Cursors from before the world was made: a watcher resuming from one replays it.
  std::string resource_cursor, booking_cursor, inquiry_cursor;
  Timestamp from, to;  // a window around the booking
  // Objects a request carries whole (Create*/Update*/Import*), by message type: the owner's own.
  std::vector<std::unique_ptr<Message>> templates;
};

// Where a request's string fields point. `scope`: "" any method, "desk." a service, a gate name
// ("scheduler.WatchBookings") one method, "*Noun" methods whose name has the noun. The first row
// that matches wins; an id field no row maps fails the test ("map ...").
struct Aim {
  std::string scope;
  std::string field;
  const std::string World::*value;
};
const std::vector<Aim> kAim = {
    {"*Organization", "id", nullptr},  // nullptr: the owner organisation itself
    {"*Network", "id", &World::owner_net},
    {"*Resource", "id", &World::lab},
    {"*Booking", "id", &World::booking},
    {"*Waitlist", "id", &World::waitlist_entry},
    {"*RotationPool", "id", &World::pool},
    {"*RotationRequest", "id", &World::rotation_request},
    {"*RotationPlan", "id", &World::plan},
    {"*Handover", "id", &World::handover},
    {"*CalendarFeed", "id", &World::calendar_feed},
    {"*Token", "id", &World::token},
    {"*WebhookSubscription", "id", &World::webhook},
    {"*WebhookSecret", "id", &World::webhook},
    {"", "subscription_id", &World::webhook},
    {"", "webhook_ids", &World::fresh},
    {"*Responder", "id", &World::responder},
    {"*Inquiry", "id", &World::inquiry},
    {"*Feedback", "id", &World::inquiry},
    {"*Asker", "id", &World::inquiry},
    {"*Consent", "id", &World::inquiry},
    {"*FollowUp", "id", &World::inquiry},
    {"registry.CreateResource", "resource_id", &World::fresh},
    {"programme.GetEvent", "id", &World::event},
    {"programme.CancelEvent", "id", &World::event},
    {"", "event_id", &World::event},
    {"", "registration_id", &World::registration},
    {"", "organization_id", nullptr},
    {"", "owner_organization_id", nullptr},
    {"", "entry_organization_id", nullptr},
    {"", "target_organization_id", nullptr},
    {"", "asker_organization_id", nullptr},
    {"desk.", "network_id", &World::shared_net},  // the inquiry's network
    {"", "target_network_id", &World::shared_net},
    {"", "network_id", &World::owner_net},
    {"", "network_ids", &World::owner_net},
    {"", "resource_id", &World::lab},
    {"", "unit_resource_id", &World::unit},
    {"", "booking_id", &World::booking},
    {"", "responder_id", &World::responder},
    {"", "target_responder_id", &World::responder},
    {"", "pool_id", &World::pool},
    {"", "plan_id", &World::plan},
    {"registry.WatchResources", "cursor", &World::resource_cursor},
    {"scheduler.WatchBookings", "cursor", &World::booking_cursor},
    {"desk.", "cursor", &World::inquiry_cursor},
};

const Aim* AimOf(const std::string& gate, const std::string& field) {
  const std::string method = gate.substr(gate.find('.') + 1);
  for (const auto& aim : kAim) {
    if (aim.field != field) continue;
    if (aim.scope.empty() || aim.scope == gate ||
        (aim.scope.back() == '.' && absl::StartsWith(gate, aim.scope)) ||
        (aim.scope[0] == '*' && absl::StrContains(method, aim.scope.substr(1))))
      return &aim;
  }
  return nullptr;
}

// Fills a request aimed at the world: ids from kAim, whole objects from the templates, a window of
// time, and plausible values where validation would otherwise refuse the call before anyone asks
// who is calling.
void AimRequest(const std::string& gate, const World& world, int serial, Message* request) {
  const auto* descriptor = request->GetDescriptor();
  const auto* reflection = request->GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    const std::string& name = f->name();
    if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
      for (const auto& object : world.templates) {
        if (object->GetDescriptor() != f->message_type()) continue;
        Message* slot = f->is_repeated() ? reflection->AddMessage(request, f)
                                         : reflection->MutableMessage(request, f);
        slot->CopyFrom(*object);
        if (absl::StartsWith(gate.substr(gate.find('.') + 1),
                             "Create")) {  // a new object: the server's ids
          for (const char* server_made : {"id", "etag"})
            if (const auto* field = slot->GetDescriptor()->FindFieldByName(server_made))
              slot->GetReflection()->ClearField(slot, field);
        }
      }
      if (f->message_type() == Timestamp::descriptor() && !f->is_repeated()) {
        if (absl::EndsWith(name, "start_time"))
          reflection->MutableMessage(request, f)->CopyFrom(world.from);
        if (absl::EndsWith(name, "end_time"))
          reflection->MutableMessage(request, f)->CopyFrom(world.to);
      }
      continue;
    }
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      std::string value;
      if (name == "request_id") {
        value = "matrix-" + std::to_string(serial);
      } else if (const Aim* aim = AimOf(gate, name)) {
        value = aim->value == nullptr ? world.owner : world.*(aim->value);
      } else if (name == "id" || absl::EndsWith(name, "_id") || absl::EndsWith(name, "_ids")) {
        ADD_FAILURE() << "map the field " << name << " of " << gate << " in kAim";
      } else if (name == "rrule") {
        value = "FREQ=DAILY;COUNT=2";
      } else if (name == "title" || name == "notes" || name == "reason" || name == "note" ||
                 name == "text" || name == "condition_notes" || name == "description") {
        value = "matrix probe";
      }
      if (value.empty()) continue;
      if (f->is_repeated()) {
        reflection->AddString(request, f, value);
      } else {
        reflection->SetString(request, f, value);
      }
      continue;
    }
    if (f->type() == FieldDescriptor::TYPE_ENUM) {
      const std::map<std::string, std::string> kEnums = {{"roles", "ROLE_MEMBER"},
                                                         {"outcome", "OUTCOME_FACILITY_BOOKED"},
                                                         {"need_type", "NEED_TYPE_INNOVATION"},
                                                         {"format", "ROTATION_EXPORT_FORMAT_CSV"}};
      auto it = kEnums.find(name);
      if (it == kEnums.end()) continue;
      const auto* value = f->enum_type()->FindValueByName(it->second);
      if (value == nullptr && name == "format")  // the impact report's export formats
        value = f->enum_type()->FindValueByName("EXPORT_FORMAT_CSV");
      ASSERT_NE(value, nullptr) << gate << "." << name;
      if (f->is_repeated()) {
        reflection->AddEnum(request, f, value);
      } else {
        reflection->SetEnum(request, f, value);
      }
      continue;
    }
    if (f->type() == FieldDescriptor::TYPE_INT32 && !f->is_repeated()) {
      if (name == "duration_minutes") reflection->SetInt32(request, f, 60);
      if (name == "duration_days" || name == "quantity") reflection->SetInt32(request, f, 1);
    }
  }
}

// The requests one method is probed with: one, or one per alternative field.
std::vector<std::pair<std::string, std::string>> Probes(
    const google::protobuf::MethodDescriptor* method, const Rule& rule, const World& world,
    int* serial) {
  const std::string gate = GateName(method);
  std::unique_ptr<Message> request(google::protobuf::MessageFactory::generated_factory()
                                       ->GetPrototype(method->input_type())
                                       ->New());
  AimRequest(gate, world, ++*serial, request.get());
  std::vector<std::pair<std::string, std::string>> out;  // {label, serialized request}
  if (rule.alternatives.empty()) out.push_back({gate, request->SerializeAsString()});
  for (const auto& keep : rule.alternatives) {
    std::unique_ptr<Message> variant(request->New());
    variant->CopyFrom(*request);
    for (const auto& other : rule.alternatives) {
      const auto* field = method->input_type()->FindFieldByName(other);
      EXPECT_NE(field, nullptr) << gate << " has no field " << other;
      if (field != nullptr && other != keep)
        variant->GetReflection()->ClearField(variant.get(), field);
    }
    out.push_back({gate + "(" + keep + ")", variant->SerializeAsString()});
  }
  return out;
}

struct Probe {
  std::string label;
  std::string token;
  bool foreign;
  Role role;  // an owner's token has this one role
};

class AuthzMatrix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer();
    Config config = TestServer::DefaultConfig();
    config.rate_limits.enabled = false;  // ~1000 calls in seconds: the limits are tested elsewhere
    // The owner's webhook points at a port on loopback where nothing listens.
    config.webhooks.allow_http = true;
    config.webhooks.allow_private_targets = true;
    config.http.listen = "127.0.0.1:0";  // REST, for the matrix over REST
    server_ = new TestServer(redis_->url(), config);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete redis_;
  }

  static std::unique_ptr<grpc::ClientContext> Admin() { return TestServer::Context(kAdminToken); }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    return TestServer::Context(token);
  }

  // Retries a setup call while a service has not yet seen what another just made (the scheduler and
  // the desk follow the registry); up to 10 s.
  static void Eventually(const std::string& what, const std::function<grpc::Status()>& call) {
    grpc::Status status;
    for (int attempt = 0; attempt < 200; ++attempt) {
      status = call();
      if (status.ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << what << ": " << status.error_code() << " " << status.error_message();
  }

  static void Organization(const std::string& id, bool sme = false) {
    reg::CreateOrganizationRequest request;
    request.set_organization_id(id);
    request.mutable_organization()->set_display_name(id);
    request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
    request.mutable_organization()->set_sme(sme);
    reg::Organization created;
    auto status = server_->Registry()->CreateOrganization(Admin().get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static void Network(const std::string& id, const std::vector<std::string>& members) {
    reg::CreateNetworkRequest request;
    request.set_network_id(id);
    request.mutable_network()->set_display_name(id);
    for (const auto& m : members) request.mutable_network()->add_member_organization_ids(m);
    reg::Network created;
    auto status = server_->Registry()->CreateNetwork(Admin().get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static reg::Resource Resource(const std::string& name, reg::Mobility mobility) {
    reg::Resource r;
    r.set_display_name(name);
    r.set_kind(mobility == reg::MOBILITY_MOBILE ? reg::RESOURCE_KIND_EQUIPMENT
                                                : reg::RESOURCE_KIND_LAB);
    r.set_mobility(mobility);
    r.set_owner_organization_id(world_.owner);
    r.add_shared_with_network_ids(world_.owner_net);  // not with the foreign organisation
    r.mutable_location()->mutable_point()->set_latitude(52.51);
    r.mutable_location()->mutable_point()->set_longitude(6.09);
    if (mobility == reg::MOBILITY_MOBILE) *r.mutable_home_base() = r.location();
    r.set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r.set_capacity(1);
    r.set_access_policy(reg::ACCESS_POLICY_NETWORK_MEMBERS);
    r.mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    auto* staff = r.add_staff();
    staff->set_name("Facility manager");
    staff->set_role(reg::STAFF_ROLE_FACILITY_MANAGER);
    staff->set_email(kStaffEmail);
    staff->set_phone(kStaffPhone);
    return r;
  }

  static std::string Register(const reg::Resource& resource) {
    reg::CreateResourceRequest request;
    *request.mutable_resource() = resource;
    reg::Resource created;
    auto status = server_->Registry()->CreateResource(As(owner_admin_).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created.id();
  }

  // The first event's cursor of a stream opened now, while `change` is made again and again to
  // produce one: a watcher resuming from it replays everything made afterwards.
  template <typename Event, typename Open>
  static std::string CursorBefore(Open open, const std::function<void()>& change) {
    auto context = Admin();
    auto stream = open(context.get());
    std::atomic<bool> seen{false};
    std::thread changes([&] {
      for (int i = 0; i < 200 && !seen; ++i) {
        change();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    Event event;
    const bool read = stream->Read(&event);
    seen = true;
    changes.join();
    context->TryCancel();
    stream->Finish();
    EXPECT_TRUE(read && !event.cursor().empty());
    return event.cursor();
  }

  static void MakeWorld();

  // What the owner's objects are now, read by the platform admin: each object's serialized form.
  static std::map<std::string, std::string> Snapshot();

  static RedisServer* redis_;
  static TestServer* server_;
  static World world_;
  static std::string owner_admin_;
};
RedisServer* AuthzMatrix::redis_ = nullptr;
TestServer* AuthzMatrix::server_ = nullptr;
World AuthzMatrix::world_;
std::string AuthzMatrix::owner_admin_;

Timestamp DaysAhead(int days, int hour) {
  using namespace std::chrono;
  const auto midnight = floor<std::chrono::days>(system_clock::now()) + std::chrono::days(days);
  return TimeUtil::SecondsToTimestamp(duration_cast<seconds>(midnight.time_since_epoch()).count() +
                                      hour * 3600);
}

void AuthzMatrix::MakeWorld() {
  World& w = world_;
  auto registry = server_->Registry();
  auto scheduler = server_->Scheduler();
  auto desk = server_->Desk();
  Organization(w.owner);
  Organization(w.foreign);
  Organization(w.partner, /*sme=*/true);
  Organization("bystander");
  Network(w.owner_net, {w.owner, w.partner});
  Network(w.shared_net, {w.owner, w.foreign});
  Network(w.foreign_net, {w.foreign});
  Network("net-bystander", {"bystander"});
  owner_admin_ = server_->Token(w.owner, {auth::v1::ROLE_ORGANIZATION_ADMIN});

  // Cursors from before the world: a resource and a booking of a bystander open the streams.
  w.resource_cursor = CursorBefore<reg::ResourceChange>(
      [&](grpc::ClientContext* c) {
        return registry->WatchResources(c, reg::WatchResourcesRequest());
      },
      [&] {
        reg::CreateResourceRequest request;
        *request.mutable_resource() = Resource("Bystander lab", reg::MOBILITY_FIXED);
        request.mutable_resource()->set_owner_organization_id("bystander");
        request.mutable_resource()->clear_shared_with_network_ids();
        request.mutable_resource()->clear_staff();
        reg::Resource created;
        EXPECT_TRUE(registry->CreateResource(Admin().get(), request, &created).ok());
      });
  reg::CreateResourceRequest bystander_lab;
  *bystander_lab.mutable_resource() = Resource("Bystander workshop", reg::MOBILITY_FIXED);
  bystander_lab.mutable_resource()->set_owner_organization_id("bystander");
  bystander_lab.mutable_resource()->clear_shared_with_network_ids();
  bystander_lab.mutable_resource()->clear_staff();
  bystander_lab.mutable_resource()->set_access_policy(reg::ACCESS_POLICY_OWNER_ONLY);
  reg::Resource workshop;
  ASSERT_TRUE(registry->CreateResource(Admin().get(), bystander_lab, &workshop).ok());
  int hour = 0;
  w.booking_cursor = CursorBefore<sch::BookingEvent>(
      [&](grpc::ClientContext* c) {
        return scheduler->WatchBookings(c, sch::WatchBookingsRequest());
      },
      [&] {
        sch::CreateBookingRequest request;
        request.set_resource_id(workshop.id());
        request.set_organization_id("bystander");
        *request.mutable_start_time() = DaysAhead(20, hour);
        *request.mutable_end_time() = DaysAhead(20, ++hour);
        sch::Booking booked;
        scheduler->CreateBooking(Admin().get(), request,
                                 &booked);  // fails until the scheduler knows it
      });

  // The desk's: a bystander's inquiry resolved while watched. Resolving happens once per inquiry,
  // and a watcher that subscribed a moment late misses it: then again with a new inquiry.
  dsk::SubmitInquiryRequest bystander_question;
  bystander_question.set_entry_organization_id("bystander");
  bystander_question.set_need_type(dsk::NEED_TYPE_OTHER);
  bystander_question.set_text("Een vraag van elders");
  for (int attempt = 0; attempt < 20 && w.inquiry_cursor.empty(); ++attempt) {
    dsk::Inquiry elsewhere;
    Eventually("SubmitInquiry",
               [&] { return desk->SubmitInquiry(Admin().get(), bystander_question, &elsewhere); });
    auto context = Admin();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    dsk::WatchInquiryRequest watch;
    watch.set_id(elsewhere.id());
    auto stream = desk->WatchInquiry(context.get(), watch);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(100));  // gives the watcher time to subscribe
    dsk::ResolveInquiryRequest resolve;
    resolve.set_id(elsewhere.id());
    resolve.set_outcome(dsk::OUTCOME_WITHDRAWN);
    dsk::Inquiry resolved;
    ASSERT_TRUE(desk->ResolveInquiry(Admin().get(), resolve, &resolved).ok());
    dsk::InquiryEvent event;
    if (stream->Read(&event)) w.inquiry_cursor = event.cursor();
    context->TryCancel();
    stream->Finish();
  }
  ASSERT_FALSE(w.inquiry_cursor.empty());

  // The owner's lab and mobile unit: staff contacts, shared with the owner's network only.
  w.lab = Register(Resource("Praktijklokaal", reg::MOBILITY_FIXED));
  reg::Resource unit = Resource("Mobiel lab", reg::MOBILITY_MOBILE);
  unit.set_sme_accessible(true);  // the partner (an SME) asks for it in a rotation
  w.unit = Register(unit);
  w.from = DaysAhead(14, 0);
  w.to = DaysAhead(21, 0);

  // A booking of the owner, with its title and notes; a waiting list entry on its slot.
  sch::CreateBookingRequest book;
  book.set_resource_id(w.lab);
  *book.mutable_start_time() = DaysAhead(15, 10);
  *book.mutable_end_time() = DaysAhead(15, 12);
  book.set_title(kBookingTitle);
  book.set_notes(kBookingNotes);
  sch::Booking booking;
  Eventually("CreateBooking",
             [&] { return scheduler->CreateBooking(As(owner_admin_).get(), book, &booking); });
  w.booking = booking.id();
  sch::JoinWaitlistRequest wait;
  wait.set_resource_id(w.lab);
  *wait.mutable_start_time() = book.start_time();
  *wait.mutable_end_time() = book.end_time();
  wait.set_title(kWaitlistTitle);
  sch::WaitlistEntry entry;
  auto waiting = scheduler->JoinWaitlist(As(owner_admin_).get(), wait, &entry);
  ASSERT_TRUE(waiting.ok()) << waiting.error_message();
  w.waitlist_entry = entry.id();

  // A rotation pool of the unit; a request of the owner's own (with notes) and one of the partner,
  // planned and committed: a plan and its hand-overs.
  sch::CreateRotationPoolRequest pool;
  pool.mutable_pool()->set_display_name("Mobiele labs");
  pool.mutable_pool()->add_unit_resource_ids(w.unit);
  sch::RotationPool made_pool;
  Eventually("CreateRotationPool", [&] {
    return scheduler->CreateRotationPool(As(owner_admin_).get(), pool, &made_pool);
  });
  w.pool = made_pool.id();
  auto ask = [&](const std::string& token, int from_day, const std::string& notes) {
    sch::CreateRotationRequestRequest request;
    auto* r = request.mutable_rotation_request();
    r->set_pool_id(w.pool);
    r->mutable_location()->set_latitude(52.22);
    r->mutable_location()->set_longitude(6.89);
    *r->mutable_earliest_start_time() = DaysAhead(from_day, 0);
    *r->mutable_latest_end_time() = DaysAhead(from_day + 5, 0);
    r->set_duration_days(2);
    r->set_notes(notes);
    sch::RotationRequest made;
    auto status = scheduler->CreateRotationRequest(As(token).get(), request, &made);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return made;
  };
  const sch::RotationRequest own_request = ask(owner_admin_, 30, kRotationNotes);
  w.rotation_request = own_request.id();
  ask(server_->Token(w.partner, {auth::v1::ROLE_MEMBER}), 40, "partner's request");
  sch::PlanRotationRequest plan;
  plan.set_pool_id(w.pool);
  *plan.mutable_horizon_start_time() = DaysAhead(28, 0);
  *plan.mutable_horizon_end_time() = DaysAhead(60, 0);
  sch::RotationPlan drafted;
  auto planned = scheduler->PlanRotation(As(owner_admin_).get(), plan, &drafted);
  ASSERT_TRUE(planned.ok()) << planned.error_message();
  sch::CommitRotationPlanRequest commit;
  commit.set_id(drafted.id());
  sch::RotationPlan committed;
  auto committing = scheduler->CommitRotationPlan(As(owner_admin_).get(), commit, &committed);
  ASSERT_TRUE(committing.ok()) << committing.error_message();
  w.plan = committed.id();
  sch::ListHandoversRequest handovers;
  handovers.set_plan_id(w.plan);
  sch::ListHandoversResponse listed;
  ASSERT_TRUE(scheduler->ListHandovers(As(owner_admin_).get(), handovers, &listed).ok());
  ASSERT_GT(listed.handovers_size(), 0) << committed.DebugString();
  w.handover = listed.handovers(0).id();

  // The owner's desk: a responder (bound to its own token) and an inquiry that came in through
  // the owner, with the asker's contact, offered to the responder.
  const auto responder_token = server_->TokenWithInfo(w.owner, {auth::v1::ROLE_DESK_RESPONDER});
  dsk::CreateResponderRequest responder;
  auto* r = responder.mutable_responder();
  r->set_organization_id(w.owner);
  r->set_display_name("Loket");
  r->set_email(kResponderEmail);
  r->set_token_id(responder_token.info().id());
  r->add_skills(dsk::NEED_TYPE_INNOVATION);
  r->set_capacity(5);
  r->set_online(true);
  dsk::Responder made_responder;
  Eventually("CreateResponder", [&] {
    return desk->CreateResponder(As(owner_admin_).get(), responder, &made_responder);
  });
  w.responder = made_responder.id();
  dsk::SubmitInquiryRequest question;
  question.set_entry_organization_id(w.owner);
  question.set_network_id(w.shared_net);
  question.set_need_type(dsk::NEED_TYPE_INNOVATION);
  question.set_text("Wie helpt ons met digitalisering?");
  question.set_asker_is_sme(true);
  question.mutable_contact()->set_name("Asker");
  question.mutable_contact()->set_email(kAskerEmail);
  question.mutable_contact()->set_phone(kAskerPhone);
  dsk::Inquiry inquiry;
  Eventually("SubmitInquiry",
             [&] { return desk->SubmitInquiry(As(owner_admin_).get(), question, &inquiry); });
  w.inquiry = inquiry.id();
  for (int i = 0; i < 200; ++i) {  // the dispatcher offers it within moments
    dsk::GetInquiryRequest get;
    get.set_id(w.inquiry);
    ASSERT_TRUE(desk->GetInquiry(Admin().get(), get, &inquiry).ok());
    if (inquiry.state() == dsk::INQUIRY_STATE_OFFERED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(inquiry.state(), dsk::INQUIRY_STATE_OFFERED) << inquiry.DebugString();

  // A member token of the owner with a description: what RevokeToken and RotateToken aim at.
  auth::v1::CreateTokenRequest described;
  described.set_organization_id(w.owner);
  described.add_roles(auth::v1::ROLE_MEMBER);
  described.set_description(kTokenDescription);
  auth::v1::CreateTokenResponse token;
  ASSERT_TRUE(server_->Tokens()->CreateToken(As(owner_admin_).get(), described, &token).ok());
  w.token = token.info().id();

  // The owner's event at its lab, for the owner's network; the partner registers a named person.
  auto programme = prg::ProgrammeService::NewStub(server_->channel());
  prg::CreateEventRequest event;
  auto* e = event.mutable_event();
  e->set_resource_id(w.lab);
  e->set_kind(prg::EVENT_KIND_OPEN_DAY);
  e->set_title("Open dag");
  *e->mutable_start_time() = DaysAhead(16, 10);
  *e->mutable_end_time() = DaysAhead(16, 12);
  e->set_capacity(10);
  e->set_registration_open(true);
  e->set_visibility(prg::EVENT_VISIBILITY_NETWORK);
  prg::Event made_event;
  Eventually("CreateEvent",
             [&] { return programme->CreateEvent(As(owner_admin_).get(), event, &made_event); });
  w.event = made_event.id();
  prg::RegisterRequest registration;
  registration.set_event_id(w.event);
  registration.set_person_name("Registrant");
  registration.set_person_email(kRegistrantEmail);
  prg::Registration registered;
  auto registering = programme->Register(
      As(server_->Token(w.partner, {auth::v1::ROLE_MEMBER})).get(), registration, &registered);
  ASSERT_TRUE(registering.ok()) << registering.error_message();
  w.registration = registered.id();

  // A calendar feed of the owner's bookings, with a description only its staff may read.
  sch::CreateCalendarFeedRequest feed;
  feed.set_organization_id(w.owner);
  feed.set_description(kFeedDescription);
  sch::CalendarFeed made_feed;
  auto feeding = scheduler->CreateCalendarFeed(As(owner_admin_).get(), feed, &made_feed);
  ASSERT_TRUE(feeding.ok()) << feeding.error_message();
  w.calendar_feed = made_feed.id();
  w.feed_secret = made_feed.secret();
  ASSERT_FALSE(w.feed_secret.empty());

  // A webhook subscription of the owner, with a description only its admins may read.
  auto webhooks = whk::WebhookService::NewStub(server_->channel());
  whk::CreateWebhookSubscriptionRequest subscribe;
  subscribe.set_target_url("http://127.0.0.1:9/matrix");
  subscribe.add_event_types(whk::WEBHOOK_EVENT_TYPE_PROGRAMME);
  subscribe.set_description(kWebhookDescription);
  whk::WebhookSubscription subscription;
  auto subscribing =
      webhooks->CreateWebhookSubscription(As(owner_admin_).get(), subscribe, &subscription);
  ASSERT_TRUE(subscribing.ok()) << subscribing.error_message();
  w.webhook = subscription.id();
  w.webhook_secret = subscription.secret();
  ASSERT_FALSE(w.webhook_secret.empty());

  // The owner's objects as requests carry them whole, read back by the owner.
  auto keep = [&](std::unique_ptr<Message> object) { w.templates.push_back(std::move(object)); };
  keep(std::make_unique<prg::Event>(made_event));
  subscription.clear_secret();
  keep(std::make_unique<whk::WebhookSubscription>(subscription));
  auto organization = std::make_unique<reg::Organization>();
  reg::GetOrganizationRequest get_org;
  get_org.set_id(w.owner);
  ASSERT_TRUE(registry->GetOrganization(As(owner_admin_).get(), get_org, organization.get()).ok());
  keep(std::move(organization));
  auto network = std::make_unique<reg::Network>();
  reg::GetNetworkRequest get_net;
  get_net.set_id(w.owner_net);
  ASSERT_TRUE(registry->GetNetwork(As(owner_admin_).get(), get_net, network.get()).ok());
  keep(std::move(network));
  auto lab = std::make_unique<reg::Resource>();
  reg::GetResourceRequest get_lab;
  get_lab.set_id(w.lab);
  ASSERT_TRUE(registry->GetResource(As(owner_admin_).get(), get_lab, lab.get()).ok());
  keep(std::move(lab));
  keep(std::make_unique<sch::RotationPool>(made_pool));
  keep(std::make_unique<sch::RotationRequest>(own_request));
  keep(std::make_unique<dsk::Responder>(made_responder));
  auto search = std::make_unique<reg::SearchResourcesRequest>();
  search->set_owner_organization_id(w.owner);
  keep(std::move(search));
  auto feedback = std::make_unique<dsk::Feedback>();
  feedback->set_score(1);
  keep(std::move(feedback));
  auto contact = std::make_unique<dsk::AskerContact>();
  contact->set_name("Matrix");
  contact->set_email("matrix@example.nl");
  keep(std::move(contact));
  auto consent = std::make_unique<dsk::AskerConsent>();
  consent->set_share_across_networks(true);
  keep(std::move(consent));
}

std::map<std::string, std::string> AuthzMatrix::Snapshot() {
  const World& w = world_;
  std::map<std::string, std::string> out;
  grpc::GenericStub generic(server_->channel());
  // Each Get* (or List*) the platform admin reads, aimed like the matrix aims its probes.
  for (const char* gate :
       {"registry.GetOrganization", "registry.GetNetwork", "registry.GetResource",
        "registry.GetAvailability", "scheduler.GetBooking", "scheduler.ListWaitlist",
        "scheduler.GetRotationPool", "scheduler.GetRotationRequest", "scheduler.GetRotationPlan",
        "scheduler.ListHandovers", "scheduler.ListRotationRequests", "scheduler.ListCalendarFeeds",
        "desk.GetResponder", "desk.GetInquiry", "auth.ListTokens", "programme.GetEvent",
        "webhook.GetWebhookSubscription"}) {
    for (const auto* method : EveryMethod()) {
      if (GateName(method) != gate) continue;
      std::unique_ptr<Message> request(google::protobuf::MessageFactory::generated_factory()
                                           ->GetPrototype(method->input_type())
                                           ->New());
      AimRequest(gate, w, 0, request.get());
      auto reply = CallRaw(generic, method, std::string("Bearer ") + kAdminToken,
                           request->SerializeAsString());
      EXPECT_TRUE(reply.status.ok()) << gate << ": " << reply.status.error_message();
      out[gate] = reply.messages.empty() ? "" : reply.messages[0];
    }
  }
  EXPECT_EQ(out.size(), 17u);
  return out;
}

// The sentinels `probe` may not read, found in what it got back (responses, and the status'
// message and details unless the probe sent the sentinel itself), and any of `never` (secrets no
// answer may carry again).
std::vector<std::string> Leaks(const Probe& probe, const RawReply& reply,
                               const std::string& request, const std::vector<std::string>& never) {
  std::string received;
  for (const auto& m : reply.messages) received += m;
  std::vector<std::string> leaks;
  for (const auto& secret : never)
    if (absl::StrContains(received, secret) ||
        absl::StrContains(reply.status.error_message(), secret) ||
        absl::StrContains(reply.status.error_details(), secret))
      leaks.push_back("a secret shown once");
  for (const auto& s : kSentinels) {
    if (!probe.foreign && s.owner_roles.count(probe.role)) continue;
    const bool in_status = !absl::StrContains(request, s.text) &&
                           (absl::StrContains(reply.status.error_message(), s.text) ||
                            absl::StrContains(reply.status.error_details(), s.text));
    if (absl::StrContains(received, s.text) || in_status) leaks.push_back(s.text);
  }
  return leaks;
}

// Foreign: the foreign organisation's tokens, with every role it can hold short of platform admin
// (also a coordinator of a network of its own). Lower role: the owner's tokens below what a call
// needs. Every mutating call is refused (PERMISSION_DENIED or NOT_FOUND); a read is refused or
// answers without a private field the caller may not read; afterwards the owner's world is as it
// was.
TEST_F(AuthzMatrix, ForeignAndLowerRoleTokensChangeNothingAndReadNothingPrivate) {
  MakeWorld();
  if (HasFatalFailure()) return;
  const World& w = world_;
  const auto foreign = [&](Role role, std::vector<std::string> networks = {}) {
    return server_->Token(w.foreign, {role}, std::move(networks));
  };
  const std::vector<Probe> probes = {
      {"foreign admin", foreign(auth::v1::ROLE_ORGANIZATION_ADMIN), true,
       auth::v1::ROLE_UNSPECIFIED},
      {"foreign member", foreign(auth::v1::ROLE_MEMBER), true, auth::v1::ROLE_UNSPECIFIED},
      {"foreign read-only", foreign(auth::v1::ROLE_READ_ONLY_INTEGRATOR), true,
       auth::v1::ROLE_UNSPECIFIED},
      {"foreign responder", foreign(auth::v1::ROLE_DESK_RESPONDER), true,
       auth::v1::ROLE_UNSPECIFIED},
      {"foreign coordinator", foreign(auth::v1::ROLE_NETWORK_COORDINATOR, {w.foreign_net}), true,
       auth::v1::ROLE_UNSPECIFIED},
      {"owner admin", owner_admin_, false, auth::v1::ROLE_ORGANIZATION_ADMIN},
      {"owner member", server_->Token(w.owner, {auth::v1::ROLE_MEMBER}), false,
       auth::v1::ROLE_MEMBER},
      {"owner read-only", server_->Token(w.owner, {auth::v1::ROLE_READ_ONLY_INTEGRATOR}), false,
       auth::v1::ROLE_READ_ONLY_INTEGRATOR},
      {"owner responder (unbound)", server_->Token(w.owner, {auth::v1::ROLE_DESK_RESPONDER}), false,
       auth::v1::ROLE_DESK_RESPONDER},
  };
  const auto before = Snapshot();

  grpc::GenericStub generic(server_->channel());
  const char* rest = std::getenv("INFRASHARE_TEST_OVER_REST");
  const bool over_rest = rest != nullptr && std::string(rest) == "1";
  int serial = 0, calls = 0, refusals = 0;
  std::map<std::string, size_t> streamed;  // events a stream replayed, over every probe
  for (const auto* method : EveryMethod()) {
    const std::string gate = GateName(method);
    auto rule = kRules.find(gate);
    if (rule == kRules.end()) {
      ADD_FAILURE() << "classify " << gate << " in kRules (read or write, and the role it needs)";
      continue;
    }
    EXPECT_EQ(rule->second.kind != Kind::kRead, Mutates(gate))
        << gate << ": the matrix and the gate's audit disagree on whether it changes something";
    const auto deadline =
        method->server_streaming() ? std::chrono::seconds(2) : std::chrono::seconds(10);
    for (const auto& [label, request] : Probes(method, rule->second, w, &serial)) {
      for (const auto& probe : probes) {
        const Rule& r = rule->second;
        const bool allowed = !probe.foreign && r.owner_roles.count(probe.role);
        if (allowed && r.kind != Kind::kRead) continue;  // the owner may change its world
        const bool must_refuse = !allowed && (r.kind != Kind::kRead || r.owner_roles != kAnyRole);
        const RawReply reply =
            over_rest ? CallRest(server_->server().http_port(), method, "Bearer " + probe.token,
                                 request, deadline)
                      : CallRaw(generic, method, "Bearer " + probe.token, request, deadline);
        ++calls;
        if (method->server_streaming()) streamed[gate] += reply.messages.size();
        const auto code = reply.status.error_code();
        const bool refused = code == grpc::StatusCode::PERMISSION_DENIED ||
                             code == grpc::StatusCode::NOT_FOUND || code == r.also_refused;
        refusals += refused;
        const std::string what = label + " by " + probe.label + ": " + std::to_string(code) + " " +
                                 reply.status.error_message();
        for (const auto& leak : Leaks(probe, reply, request, {w.feed_secret, w.webhook_secret}))
          ADD_FAILURE() << "LEAK of " << leak << " in " << what;
        ASSERT_NE(code, grpc::StatusCode::UNAUTHENTICATED) << what;
        EXPECT_NE(code, grpc::StatusCode::INVALID_ARGUMENT)
            << what << " (the probe is malformed: authorization was never asked)";
        if (r.kind == Kind::kWritePerRow && reply.status.ok()) {
          reg::ImportResourcesResponse rows;
          ASSERT_TRUE(rows.ParseFromString(reply.messages.at(0))) << what;
          EXPECT_EQ(rows.failed(), rows.rows_size()) << what << ": a row went through";
          for (const auto& row : rows.rows())
            EXPECT_FALSE(row.ok()) << what << ": row " << row.row();
          continue;
        }
        if (must_refuse) {
          EXPECT_TRUE(refused) << what << " (expected PERMISSION_DENIED or NOT_FOUND)";
        } else {
          // An allowed read: it answers, or a stream stays open until the deadline.
          EXPECT_TRUE(refused || code == grpc::StatusCode::OK ||
                      code == grpc::StatusCode::DEADLINE_EXCEEDED)
              << what;
        }
      }
    }
  }
  EXPECT_GT(calls, 500);
  for (const auto* method :
       EveryMethod()) {  // a watcher given a cursor must have had something to hide
    if (method->server_streaming() && AimOf(GateName(method), "cursor") != nullptr) {
      EXPECT_GT(streamed[GateName(method)], 0u)
          << GateName(method) << " replayed nothing: its redaction went unchecked";
    }
  }
  EXPECT_GT(refusals, 300);

  // Nothing mutating went through: the owner's objects are byte for byte as they were, the booking
  // keeps its title, the inquiry its asker, and the owner's tokens still work.
  const auto after = Snapshot();
  for (const auto& [gate, bytes] : before) EXPECT_EQ(after.at(gate), bytes) << gate << " changed";
  sch::GetBookingRequest get_booking;
  get_booking.set_id(w.booking);
  sch::Booking booking;
  ASSERT_TRUE(server_->Scheduler()->GetBooking(Admin().get(), get_booking, &booking).ok());
  EXPECT_EQ(booking.title(), kBookingTitle);
  EXPECT_EQ(booking.state(), sch::BOOKING_STATE_CONFIRMED);
  dsk::GetInquiryRequest get_inquiry;
  get_inquiry.set_id(w.inquiry);
  dsk::Inquiry inquiry;
  ASSERT_TRUE(server_->Desk()->GetInquiry(Admin().get(), get_inquiry, &inquiry).ok());
  EXPECT_EQ(inquiry.contact().email(), kAskerEmail);
  for (const auto& probe : probes) {
    auth::v1::TokenInfo me;
    EXPECT_TRUE(
        server_->Tokens()->WhoAmI(As(probe.token).get(), auth::v1::WhoAmIRequest(), &me).ok())
        << probe.label;
  }
}

}  // namespace
}  // namespace infrashare::testing
