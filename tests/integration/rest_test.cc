// REST/JSON on the HTTP listener (issue #17) against the real server, a real Redis (cluster mode
// when INFRASHARE_TEST_REDIS_CLUSTER=1) and a real HTTP client: every RPC from the descriptors
// answered over REST exactly as over gRPC (status, message, details, responses), then what an
// integrator does by hand: book with an Idempotency-Key, approve with a custom verb, watch as
// newline-delimited JSON and as server-sent events, and what goes wrong.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/rpc/status.pb.h"
#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "services/http/openapi/openapi_json.h"
#include "services/http/path_template.h"
#include "tests/support/generic_call.h"
#include "tests/support/redis_server.h"
#include "tests/support/rest_call.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

namespace reg = registry::v1;
namespace sch = scheduler::v1;
using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;
using Json = nlohmann::json;

std::unique_ptr<Message> New(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

// Sets every path variable of the method's rules to `value` (through nested messages).
void AimPath(const google::protobuf::MethodDescriptor* method, const std::string& value,
             Message* request) {
  const auto& rule = method->options().GetExtension(google::api::http);
  std::string path = rule.get() + rule.post() + rule.put() + rule.patch() + rule.delete_();
  auto parsed = http::PathTemplate::Parse(path);
  ASSERT_TRUE(parsed.ok()) << method->full_name() << ": " << parsed.status();
  for (const std::string& variable : parsed->Variables()) {
    Message* at = request;
    std::vector<std::string> steps = absl::StrSplit(variable, '.');
    for (size_t i = 0; i < steps.size(); ++i) {
      const auto* field = at->GetDescriptor()->FindFieldByName(steps[i]);
      ASSERT_NE(field, nullptr) << method->full_name() << ": " << variable;
      if (i + 1 == steps.size()) {
        at->GetReflection()->SetString(at, field, value);
      } else {
        at = at->GetReflection()->MutableMessage(at, field);
      }
    }
  }
}

// What a status says, as google.rpc.Status (details unpacked when compared).
google::rpc::Status AsProto(const grpc::Status& status) {
  google::rpc::Status proto;
  if (!status.error_details().empty()) {
    EXPECT_TRUE(proto.ParseFromString(status.error_details()));
  }
  proto.set_code(status.error_code());
  proto.set_message(status.error_message());
  return proto;
}

// What a call that makes something generates afresh each time (a second call makes another): its
// id, secret and the URL holding it, and when it was made. Two answers that differ only there are
// the same answer.
class FreshlyMade : public MessageDifferencer::IgnoreCriteria {
 public:
  bool IsIgnored(const Message&, const Message&, const google::protobuf::FieldDescriptor* field,
                 const std::vector<MessageDifferencer::SpecificField>&) override {
    const std::string& name = field->name();
    return name == "id" || name == "secret" || name == "url" || name == "create_time";
  }
};

// The two answers are the same: status, message, details and every response.
void ExpectSameAnswer(const google::protobuf::MethodDescriptor* method, const RawReply& grpc_reply,
                      const RawReply& rest_reply, const std::string& what) {
  EXPECT_EQ(rest_reply.status.error_code(), grpc_reply.status.error_code())
      << what << ": gRPC said " << grpc_reply.status.error_message() << ", REST said "
      << rest_reply.status.error_message();
  EXPECT_EQ(rest_reply.status.error_message(), grpc_reply.status.error_message()) << what;
  EXPECT_TRUE(
      MessageDifferencer::Equivalent(AsProto(rest_reply.status), AsProto(grpc_reply.status)))
      << what << ": the details differ:\n"
      << AsProto(rest_reply.status).DebugString() << "\nvs gRPC\n"
      << AsProto(grpc_reply.status).DebugString();
  ASSERT_EQ(rest_reply.messages.size(), grpc_reply.messages.size()) << what;
  for (size_t i = 0; i < grpc_reply.messages.size(); ++i) {
    auto over_grpc = New(method->output_type());
    auto over_rest = New(method->output_type());
    ASSERT_TRUE(over_grpc->ParseFromString(grpc_reply.messages[i]));
    ASSERT_TRUE(over_rest->ParseFromString(rest_reply.messages[i]));
    MessageDifferencer same;
    same.AddIgnoreCriteria(new FreshlyMade);  // the differencer owns it
    EXPECT_TRUE(same.Compare(*over_rest, *over_grpc))
        << what << ": response " << i << "\nREST: " << over_rest->DebugString()
        << "\ngRPC: " << over_grpc->DebugString();
  }
}

class RestApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer(ClusterModeRequested());
    Config config = TestServer::DefaultConfig();
    config.http.listen = "127.0.0.1:0";
    config.http.threads = 8;  // four REST streams at once
    server_ = new TestServer(redis_->url(), config);
    ASSERT_GT(server_->server().http_port(), 0);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete redis_;
  }
  static int port() { return server_->server().http_port(); }
  static std::string Bearer(const std::string& token) { return "Bearer " + token; }

  static void CreateOrg(const std::string& id, const std::string& name) {
    reg::CreateOrganizationRequest request;
    request.set_organization_id(id);
    request.mutable_organization()->set_display_name(name);
    request.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
    reg::Organization created;
    auto status = server_->Registry()->CreateOrganization(TestServer::Context(kAdminToken).get(),
                                                          request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static reg::Resource Lab(const std::string& owner, const std::string& name) {
    reg::Resource r;
    r.set_display_name(name);
    r.set_kind(reg::RESOURCE_KIND_LAB);
    r.set_owner_organization_id(owner);
    r.mutable_location()->mutable_point()->set_latitude(52.5);
    r.mutable_location()->mutable_point()->set_longitude(6.1);
    r.set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
    r.set_capacity(1);
    r.set_access_policy(reg::ACCESS_POLICY_PUBLIC);
    r.mutable_lifecycle()->set_state(reg::LIFECYCLE_STATE_ACTIVE);
    return r;
  }

  static const google::protobuf::MethodDescriptor* Method(const std::string& gate) {
    for (const auto* method : EveryMethod())
      if (GateName(method) == gate) return method;
    ADD_FAILURE() << "no method " << gate;
    return nullptr;
  }

  static RedisServer* redis_;
  static TestServer* server_;
};
RedisServer* RestApi::redis_ = nullptr;
TestServer* RestApi::server_ = nullptr;

// Every RPC has a REST route (a new RPC without one fails here), and every one answers over REST
// as over gRPC: aimed at an object that does not exist, with every other field at its default,
// and with an empty request where no path needs an id, as the platform admin, a token of no
// organisation's objects, and no token at all.
TEST_F(RestApi, EveryRpcAnswersOverRestAsOverGrpc) {
  CreateOrg("parity-school", "ROC Parit\xC3\xA9it");
  const std::string member = server_->Token("parity-school", {auth::v1::ROLE_MEMBER});
  grpc::GenericStub generic(server_->channel());
  int compared = 0;
  for (const auto* method : EveryMethod()) {
    const std::string gate = GateName(method);
    ASSERT_TRUE(method->options().HasExtension(google::api::http))
        << gate << " has no google.api.http rule: every RPC is served over REST too";
    auto request = New(method->input_type());
    AimPath(method, "parity-missing", request.get());
    const std::string bytes = request->SerializeAsString();
    ASSERT_FALSE(ToRest(method, bytes).target.empty()) << gate << ": no URL carries its request";
    const auto deadline = method->server_streaming() ? std::chrono::milliseconds(1500)
                                                     : std::chrono::milliseconds(10000);
    for (const std::string& authorization :
         {Bearer(kAdminToken), Bearer(member), std::string(), std::string("Bearer nonsense")}) {
      const RawReply over_grpc = CallRaw(generic, method, authorization, bytes, deadline);
      const RawReply over_rest = CallRest(port(), method, authorization, bytes, deadline);
      ExpectSameAnswer(method, over_grpc, over_rest,
                       gate + " as " + (authorization.empty() ? "nobody" : authorization));
      ++compared;
    }
  }
  EXPECT_GT(compared, 400);
}

// An organisation, a lab and a booking made over REST read the same over gRPC, Dutch names and
// all; the same booking sent twice with one Idempotency-Key is made once; a custom verb
// approves; a list pages to its end.
TEST_F(RestApi, AnIntegratorBooksOverRestAndGrpcSeesTheSame) {
  CreateOrg("roc-ijssel",
            "ROC IJssel \xE2\x80\x94 Caf\xC3\xA9 \xC4\xB2sselstreek 's-Hertogenbosch");
  const std::string admin = server_->Token("roc-ijssel", {auth::v1::ROLE_ORGANIZATION_ADMIN});
  // A resource created with a JSON body.
  reg::CreateResourceRequest create;
  *create.mutable_resource() = Lab("roc-ijssel", "Lasrobotcel \xC3\xA9\xC3\xA9n; 2,5 m\xC2\xB2");
  create.mutable_resource()->set_booking_mode(reg::BOOKING_MODE_EXCLUSIVE);
  const RawReply made = CallRest(port(), Method("registry.CreateResource"), Bearer(admin),
                                 create.SerializeAsString());
  ASSERT_TRUE(made.status.ok()) << made.status.error_message();
  reg::Resource resource;
  ASSERT_TRUE(resource.ParseFromString(made.messages.at(0)));
  EXPECT_EQ(resource.display_name(), create.resource().display_name());

  // The same resource over gRPC and over REST (GET /v1/resources/{id}): field for field.
  reg::GetResourceRequest get;
  get.set_id(resource.id());
  reg::Resource over_grpc;
  ASSERT_TRUE(
      server_->Registry()->GetResource(TestServer::Context(admin).get(), get, &over_grpc).ok());
  const RawReply over_rest =
      CallRest(port(), Method("registry.GetResource"), Bearer(admin), get.SerializeAsString());
  ASSERT_TRUE(over_rest.status.ok()) << over_rest.status.error_message();
  reg::Resource read;
  ASSERT_TRUE(read.ParseFromString(over_rest.messages.at(0)));
  EXPECT_TRUE(MessageDifferencer::Equals(read, over_grpc));

  // A booking with an Idempotency-Key, sent twice: one booking.
  sch::CreateBookingRequest book;
  book.set_resource_id(resource.id());
  const int64_t day =
      (TimeUtil::TimestampToSeconds(TimeUtil::GetCurrentTime()) / 86400 + 3) * 86400;
  *book.mutable_start_time() = TimeUtil::SecondsToTimestamp(day + 9 * 3600);
  *book.mutable_end_time() = TimeUtil::SecondsToTimestamp(day + 11 * 3600);
  book.set_title("Praktijkles \xC3\xA9\xC3\xA9n");
  const std::multimap<std::string, std::string> key = {{"Idempotency-Key", "rest-book-1"}};
  const RawReply first = CallRest(port(), Method("scheduler.CreateBooking"), Bearer(admin),
                                  book.SerializeAsString(), std::chrono::seconds(10), key);
  const RawReply second = CallRest(port(), Method("scheduler.CreateBooking"), Bearer(admin),
                                   book.SerializeAsString(), std::chrono::seconds(10), key);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  sch::Booking booked, again;
  ASSERT_TRUE(booked.ParseFromString(first.messages.at(0)));
  ASSERT_TRUE(again.ParseFromString(second.messages.at(0)));
  EXPECT_EQ(booked.id(), again.id());
  // A key that contradicts the request's own request_id is refused.
  book.set_request_id("another-id");
  const RawReply contradicted = CallRest(port(), Method("scheduler.CreateBooking"), Bearer(admin),
                                         book.SerializeAsString(), std::chrono::seconds(10), key);
  EXPECT_EQ(contradicted.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(contradicted.status), "Idempotency-Key");
  // The slot is taken over gRPC too: the REST booking is a booking.
  sch::CreateBookingRequest clash;
  clash.set_resource_id(resource.id());
  *clash.mutable_start_time() = TimeUtil::SecondsToTimestamp(day + 10 * 3600);
  *clash.mutable_end_time() = TimeUtil::SecondsToTimestamp(day + 12 * 3600);
  sch::Booking refused;
  EXPECT_EQ(server_->Scheduler()
                ->CreateBooking(TestServer::Context(admin).get(), clash, &refused)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // The list of bookings pages to its end over REST, as over gRPC.
  sch::ListBookingsRequest list;
  list.set_resource_id(resource.id());
  list.set_page_size(1);
  const RawReply listed =
      CallRest(port(), Method("scheduler.ListBookings"), Bearer(admin), list.SerializeAsString());
  ASSERT_TRUE(listed.status.ok()) << listed.status.error_message();
  sch::ListBookingsResponse page;
  ASSERT_TRUE(page.ParseFromString(listed.messages.at(0)));
  ASSERT_EQ(page.bookings_size(), 1);
  EXPECT_EQ(page.bookings(0).id(), booked.id());
  EXPECT_TRUE(page.next_page_token().empty());
}

// A watcher over REST: newline-delimited JSON gets each booking event as {"result": ...}; with
// Accept: text/event-stream the same as server-sent events. A refused watch answers with its own
// HTTP status before any event.
TEST_F(RestApi, WatchingOverRestStreamsEventsAsJsonLinesOrServerSentEvents) {
  CreateOrg("watch-school", "Watch School");
  const std::string admin = server_->Token("watch-school", {auth::v1::ROLE_ORGANIZATION_ADMIN});
  reg::CreateResourceRequest create;
  *create.mutable_resource() = Lab("watch-school", "Watched lab");
  reg::Resource resource;
  ASSERT_TRUE(server_->Registry()
                  ->CreateResource(TestServer::Context(admin).get(), create, &resource)
                  .ok());
  sch::WatchBookingsRequest watch;
  watch.set_resource_id(resource.id());
  const RestRequest rest = ToRest(Method("scheduler.WatchBookings"), watch.SerializeAsString());
  ASSERT_EQ(rest.method, "GET");

  // What Accept asks for, and whether it gets events: media types without regard to case, and
  // their q-values weighed.
  const std::vector<std::pair<std::string, bool>> accepts = {
      {"", false},
      {"text/event-stream", true},
      {"Text/Event-Stream", true},
      {"text/event-stream;q=0.1, application/x-ndjson", false}};
  for (size_t round = 0; round < accepts.size(); ++round) {
    const std::string accept = accepts[round].first;
    const bool events = accepts[round].second;
    std::string received;
    std::atomic<bool> begun{false};
    std::thread watcher([&] {
      httplib::Client client("127.0.0.1", port());
      client.set_read_timeout(20, 0);
      httplib::Headers headers = {{"Authorization", Bearer(admin)}};
      if (!accept.empty()) headers.emplace("Accept", accept);
      // The previous round's place comes back when the listener notices its client left: until
      // then this caller's one place is taken (429), and it tries again.
      for (int attempt = 0; attempt < 50; ++attempt) {
        bool busy = false;
        client.Get(
            rest.target, headers,
            [&](const httplib::Response& response) {
              busy = response.status == 429;
              if (busy) return false;
              EXPECT_EQ(response.status, 200);
              EXPECT_EQ(response.get_header_value("Content-Type"),
                        events ? "text/event-stream" : "application/x-ndjson");
              begun = true;
              return true;
            },
            [&](const char* data, size_t length) {
              received.append(data, length);
              return !absl::StrContains(received, "BOOKING_EVENT_TYPE_CREATED");
            });
        if (!busy) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    for (int i = 0; i < 200 && !begun; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(begun);
    sch::CreateBookingRequest book;
    book.set_resource_id(resource.id());
    const int64_t day =
        (TimeUtil::TimestampToSeconds(TimeUtil::GetCurrentTime()) / 86400 + 5 + round) * 86400;
    *book.mutable_start_time() = TimeUtil::SecondsToTimestamp(day + 9 * 3600);
    *book.mutable_end_time() = TimeUtil::SecondsToTimestamp(day + 10 * 3600);
    sch::Booking booked;
    ASSERT_TRUE(
        server_->Scheduler()->CreateBooking(TestServer::Context(admin).get(), book, &booked).ok());
    watcher.join();
    ASSERT_TRUE(absl::StrContains(received, booked.id())) << received;
    std::string json;
    if (events) {
      ASSERT_TRUE(absl::StartsWith(received, "event: result\ndata: ")) << received;
      json = received.substr(std::string("event: result\ndata: ").size());
      json = json.substr(0, json.find('\n'));
    } else {
      const Json line = Json::parse(received.substr(0, received.find('\n')));
      ASSERT_TRUE(line.contains("result")) << received;
      json = line["result"].dump();
    }
    sch::BookingEvent event;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &event).ok()) << json;
    EXPECT_EQ(event.booking().id(), booked.id());
    EXPECT_EQ(event.type(), sch::BOOKING_EVENT_TYPE_CREATED);
  }

  // Refused before it begins: 401 with WWW-Authenticate, and the error as google.rpc.Status.
  const HttpAnswer refused = SendHttp(port(), "GET", rest.target);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(StatusFromJson(refused.body).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto challenge = refused.headers.find("WWW-Authenticate");
  ASSERT_NE(challenge, refused.headers.end());
  EXPECT_EQ(challenge->second, "Bearer");

  // One caller holds at most half of the listener's stream places (here 2 of 4): its third
  // stream is refused with 429, while another caller still gets one. A caller is an organisation:
  // a second token of it gets no more places. (The watchers above give their places back when
  // the listener notices they left: a holder tries again meanwhile.)
  {
    const std::string member = server_->Token("watch-school", {auth::v1::ROLE_MEMBER});
    const std::string colleague = server_->Token("watch-school", {auth::v1::ROLE_MEMBER});
    std::vector<std::unique_ptr<httplib::Client>> clients;
    std::vector<std::thread> holders;
    std::atomic<int> open{0};
    std::atomic<bool> done{false};
    auto hold = [&](const std::string& authorization) {
      clients.push_back(std::make_unique<httplib::Client>("127.0.0.1", port()));
      httplib::Client* client = clients.back().get();
      holders.emplace_back([client, authorization, &open, &done, &rest] {
        for (int attempt = 0; attempt < 100 && !done; ++attempt) {
          bool admitted = false;
          client->Get(
              rest.target, {{"Authorization", authorization}},
              [&](const httplib::Response& response) {
                admitted = response.status == 200;
                if (admitted) ++open;
                return admitted;
              },
              [](const char*, size_t) { return true; });
          if (admitted) return;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      });
    };
    auto await_open = [&](int n) {
      for (int i = 0; i < 300 && open < n; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return open.load();
    };
    // The scheme is read without regard to case: "bearer X" is the same caller as "Bearer X".
    hold(Bearer(member));
    ASSERT_EQ(await_open(1), 1);
    hold("bearer " + member);
    ASSERT_EQ(await_open(2), 2);
    for (const std::string& authorization : {"BEARER " + member, Bearer(colleague)}) {
      const HttpAnswer third =
          SendHttp(port(), "GET", rest.target, "", {{"Authorization", authorization}});
      EXPECT_EQ(third.status, 429) << third.body;
      EXPECT_TRUE(absl::StrContains(third.body, "one caller")) << third.body;
    }
    hold(Bearer(admin));
    EXPECT_EQ(await_open(3), 3);
    done = true;
    for (auto& client : clients) client->stop();
    for (auto& holder : holders) holder.join();
  }
}

// What integrators get wrong: an unknown path or method, malformed JSON, an unknown query
// parameter, a number with a decimal comma, a body on a GET, an oversized string. Each answers with
// the HTTP status of its gRPC code and a google.rpc.Status naming the field.
TEST_F(RestApi, MistakesAnswerWithTheHttpStatusOfTheirCodeAndTheFieldTheyAreAbout) {
  const std::multimap<std::string, std::string> admin = {{"Authorization", Bearer(kAdminToken)}};
  const HttpAnswer unknown = SendHttp(port(), "GET", "/v1/no-such-things", "", admin);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(StatusFromJson(unknown.body).error_code(), grpc::StatusCode::NOT_FOUND);

  // The path of GetResource with a method no rule has: 405 naming the ones it takes.
  reg::GetResourceRequest get;
  get.set_id("some-lab");
  const RestRequest resource = ToRest(Method("registry.GetResource"), get.SerializeAsString());
  const HttpAnswer wrong_method = SendHttp(port(), "PUT", resource.target, "{}", admin);
  EXPECT_EQ(wrong_method.status, 405);
  auto allow = wrong_method.headers.find("Allow");
  ASSERT_NE(allow, wrong_method.headers.end());
  EXPECT_TRUE(absl::StrContains(allow->second, "GET")) << allow->second;
  // A custom method's path with another method is that path's 405, not a plain GET of the id.
  sch::ApproveBookingRequest approve;
  approve.set_id("some-booking");
  const RestRequest approving =
      ToRest(Method("scheduler.ApproveBooking"), approve.SerializeAsString());
  ASSERT_EQ(approving.method, "POST");
  const HttpAnswer get_approve = SendHttp(port(), "GET", approving.target, "", admin);
  EXPECT_EQ(get_approve.status, 405) << get_approve.body;
  const HttpAnswer options = SendHttp(port(), "OPTIONS", resource.target, "", admin);
  EXPECT_EQ(options.status, 405) << options.body;
  EXPECT_NE(options.headers.find("Allow"), options.headers.end());
  // What the HTTP layer refuses before any route (a header of 16 KiB) still answers with a
  // google.rpc.Status body.
  const HttpAnswer long_header =
      SendHttp(port(), "GET", resource.target, "", {{"X-Filler", std::string(16 * 1024, 'x')}});
  EXPECT_EQ(long_header.status, 400) << long_header.body;
  EXPECT_EQ(StatusFromJson(long_header.body).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << long_header.body;

  // A token with bytes no header of gRPC may carry (UTF-8, a tab, a control character): refused
  // as malformed, and the server still answers.
  for (const std::string& token : {std::string("caf\xC3\xA9"), std::string("\tabc"),
                                   std::string("a\x01b"), std::string("\xFF\xFE")}) {
    const HttpAnswer odd =
        SendHttp(port(), "GET", "/v1/tokens:whoAmI", "", {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(odd.status, 401) << odd.body;
    EXPECT_EQ(StatusFromJson(odd.body).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // Requests whose framing a server in front could read otherwise (smuggling): refused with 400
  // and the connection closed, whatever the path.
  for (const std::string& headers :
       {std::string("Host: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 2\r\n"),
        std::string("Host: a\r\nContent-Length: +2\r\n"),
        std::string("Host: a\r\nContent-Length: abc\r\n"),
        std::string("Host: a\r\nTransfer-Encoding: xchunked\r\nContent-Length: 2\r\n"),
        std::string("Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n"),
        std::string("Host: a\r\nHost: b\r\nContent-Length: 2\r\n"),
        std::string("Host: a\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\n"
                    "Content-Length: 2\r\n"),
        std::string("Content-Length: 2\r\n")}) {
    for (const std::string& path : {std::string("/v1/resources:search"), std::string("/map")}) {
      const std::string answer =
          SendRawHttp(port(), absl::StrCat("POST ", path, " HTTP/1.1\r\n", headers,
                                           "Authorization: ", Bearer(kAdminToken), "\r\n\r\n{}"));
      EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 400")) << headers << answer;
      EXPECT_TRUE(absl::StrContains(answer, "Connection: close")) << headers << answer;
    }
  }
  // Nothing after a refused request on its connection is read: a request hidden behind it gets
  // no answer of its own.
  const std::string smuggled =
      SendRawHttp(port(),
                  "POST /v1/resources:search HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n"
                  "GET /v1/tokens:whoAmI HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(smuggled, "HTTP/1.1 400")) << smuggled;
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(smuggled, "HTTP/1.1 ")).size(), 2u) << smuggled;
  // Nor is a body the listener does not read (one sent with a GET, or behind a request refused
  // before its body), when it comes apart from its request: the answer closes the connection.
  const std::string hidden = "GET /v1/tokens:whoAmI HTTP/1.1\r\nHost: a\r\n\r\n";
  for (const std::string& first :
       {std::string("GET /v1/tokens:whoAmI HTTP/1.1\r\nHost: a\r\nContent-Length: 43\r\n\r\n"),
        std::string("GET /map HTTP/1.1\r\nHost: a\r\nContent-Length: 43\r\n\r\n"),
        std::string("HEAD /map HTTP/1.1\r\nHost: a\r\nContent-Length: 43\r\n\r\n"),
        // A range does not cut the answer that closes (nor write past it).
        std::string(
            "GET /map HTTP/1.1\r\nHost: a\r\nRange: bytes=5000-\r\nContent-Length: 43\r\n\r\n"),
        std::string("GET /map HTTP/1.1\r\nHost: a\r\nRange: bytes=5000-5999\r\n"
                    "Content-Length: 43\r\n\r\n"),
        std::string("OPTIONS /v1/resources HTTP/1.1\r\nHost: a\r\nContent-Length: 43\r\n\r\n"),
        std::string("POST /map HTTP/1.1\r\nHost: a\r\nContent-Length: 43\r\n\r\n"),
        std::string("POST /v1/resources:search HTTP/1.1\r\nHost: a\r\nAuthorization: a\r\n"
                    "Authorization: b\r\nContent-Length: 43\r\n\r\n")}) {
    const std::string answer = SendRawHttp(port(), std::vector<std::string>{first, hidden});
    EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 4")) << first << answer;
    EXPECT_EQ(std::vector<std::string>(absl::StrSplit(answer, "HTTP/1.1 ")).size(), 2u)
        << first << answer;
    EXPECT_TRUE(absl::StrContains(answer, "Connection: close")) << first << answer;
    EXPECT_LT(answer.size(), 4096u) << first;  // the answer, not what lies beyond it in memory
  }
  EXPECT_TRUE(absl::StartsWith(
      SendRawHttp(port(), absl::StrCat("POST /v1/resources:search HTTP/1.1\r\nHost: a\r\n"
                                       "Connection: close\r\nContent-Length: 2\r\n"
                                       "Authorization: ",
                                       Bearer(kAdminToken), "\r\n\r\n{}")),
      "HTTP/1.1 200"));
  // A Range header does not cut an answer of the API (nor turn a write's answer into a 416).
  const HttpAnswer ranged =
      SendHttp(port(), "POST", "/v1/resources:search", "{}",
               {{"Authorization", Bearer(kAdminToken)}, {"Range", "bytes=100000-100001"}});
  EXPECT_EQ(ranged.status, 200) << ranged.body;
  const HttpAnswer ranged_get =
      SendHttp(port(), "GET", "/v1/tokens:whoAmI", "",
               {{"Authorization", Bearer(kAdminToken)}, {"Range", "bytes=0-5"}});
  EXPECT_EQ(ranged_get.status, 200);
  EXPECT_EQ(ranged_get.headers.count("Content-Range"), 0u);
  EXPECT_TRUE(Json::accept(ranged_get.body)) << ranged_get.body;
  // A '%' that escapes nothing is a mistake in the path, not an unknown route.
  const HttpAnswer bad_escape = SendHttp(port(), "GET", "/v1/resources/%zz", "", admin);
  EXPECT_EQ(bad_escape.status, 400) << bad_escape.body;
  EXPECT_EQ(BadField(StatusFromJson(bad_escape.body)), "path");
  // Text that is not UTF-8 in the path: refused naming the field.
  const HttpAnswer not_utf8 = SendHttp(port(), "GET", "/v1/resources/%C3%28", "", admin);
  EXPECT_EQ(not_utf8.status, 400) << not_utf8.body;
  EXPECT_EQ(BadField(StatusFromJson(not_utf8.body)), "id") << not_utf8.body;
  const HttpAnswer two_keys = SendHttp(
      port(), "POST", "/v1/resources:search", "{}",
      {{"Authorization", Bearer(kAdminToken)}, {"Idempotency-Key", "a"}, {"Idempotency-Key", "b"}});
  EXPECT_EQ(two_keys.status, 400) << two_keys.body;
  const HttpAnswer two_tokens =
      SendHttp(port(), "GET", "/v1/tokens:whoAmI", "",
               {{"Authorization", Bearer(kAdminToken)}, {"Authorization", "Bearer other"}});
  EXPECT_EQ(two_tokens.status, 400) << two_tokens.body;
  EXPECT_EQ(SendHttp(port(), "GET", "/v1/tokens:whoAmI", "", admin).status, 200);
  // The same on the impact report, the other address that reads a token.
  const std::string report =
      "/impact/report.json?network=no-such-network&from=2030-01-01&to=2030-02-01";
  EXPECT_EQ(SendHttp(port(), "GET", report, "",
                     {{"Authorization", Bearer(kAdminToken)}, {"Authorization", "Bearer other"}})
                .status,
            400);
  EXPECT_EQ(SendHttp(port(), "GET", report, "", admin).status, 404);

  const RestRequest create =
      ToRest(Method("registry.CreateResource"), reg::CreateResourceRequest().SerializeAsString());
  ASSERT_EQ(create.method, "POST");
  const HttpAnswer malformed = SendHttp(port(), "POST", create.target, "{\"displayName\": ", admin);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(BadField(StatusFromJson(malformed.body)), "body");
  // A member named twice in one object (also once escaped), which protobuf would read as the
  // last and a filter in front perhaps as the first: refused. The same name in two objects is no
  // such thing.
  for (const std::string& twice :
       {std::string(R"({"textPrefix":"lodz","textPrefix":"orsted"})"),
        std::string(R"({"textPrefix":"lodz","text\u0050refix":"orsted"})"),
        std::string(R"({"textPrefix":"lodz","text_prefix":"orsted"})"),
        std::string(R"({"within":{"center":{"latitude":52,"latitude":53}}})")}) {
    const HttpAnswer refused = SendHttp(port(), "POST", "/v1/resources:search", twice, admin);
    EXPECT_EQ(refused.status, 400) << twice << refused.body;
    EXPECT_EQ(BadField(StatusFromJson(refused.body)), "body") << twice;
    EXPECT_TRUE(absl::StrContains(refused.body, "twice")) << refused.body;
  }
  // Nesting deeper than protobuf reads is refused before anything holds a level of it: a body of
  // a megabyte of '[' (or of objects in objects) costs no more than a short one.
  for (const std::string& deep : {std::string(1 << 20, '['), [] {
                                    std::string nested;
                                    for (int i = 0; i < 200; ++i) nested += R"({"within":)";
                                    return nested + "{}" + std::string(200, '}');
                                  }()}) {
    const HttpAnswer refused = SendHttp(port(), "POST", "/v1/resources:search", deep, admin);
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(BadField(StatusFromJson(refused.body)), "body") << refused.body;
    EXPECT_TRUE(absl::StrContains(refused.body, "deeper than 100")) << refused.body;
  }
  // A body for one field is that field's object and nothing else: text after it that would
  // read as a member of the request is refused, the object alone is taken.
  const HttpAnswer spliced = SendHttp(
      port(), "POST", "/v1/organizations?organizationId=splice",
      R"({"displayName":"Splice","kind":"ORGANIZATION_KIND_OTHER"},"requestId":"r-1")", admin);
  EXPECT_EQ(spliced.status, 400) << spliced.body;
  EXPECT_EQ(BadField(StatusFromJson(spliced.body)), "body") << spliced.body;
  EXPECT_EQ(SendHttp(port(), "POST", "/v1/organizations?organizationId=splice",
                     R"({"displayName":"Splice","kind":"ORGANIZATION_KIND_OTHER"})", admin)
                .status,
            200);
  EXPECT_EQ(SendHttp(port(), "POST", "/v1/resources:search",
                     R"({"within":{"center":{"latitude":52,"longitude":5},"radiusKm":5},)"
                     R"("textPrefix":"lab"})",
                     admin)
                .status,
            200);
  // A body that is not UTF-8, and a value quoted in a message cut within a character: answered
  // with the field, as proto3 JSON.
  const HttpAnswer latin1 =
      SendHttp(port(), "POST", "/v1/resources:search", "{\"textPrefix\":\"caf\xE9\"}", admin);
  EXPECT_EQ(latin1.status, 400) << latin1.body;
  EXPECT_EQ(BadField(StatusFromJson(latin1.body)), "body") << latin1.body;
  const HttpAnswer cut = SendHttp(
      port(), "GET", "/v1/resources:overlapReport?within_km=" + std::string(63, '9') + "%C3%A9", "",
      admin);
  EXPECT_EQ(cut.status, 400) << cut.body;
  EXPECT_EQ(BadField(StatusFromJson(cut.body)), "within_km") << cut.body;
  const HttpAnswer not_json = SendHttp(port(), "POST", create.target, "displayName=x",
                                       {{"Authorization", Bearer(kAdminToken)},
                                        {"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(BadField(StatusFromJson(not_json.body)), "body");

  const HttpAnswer body_on_delete =
      SendHttp(port(), "DELETE", resource.target, "{\"id\":\"x\"}", admin);
  EXPECT_EQ(body_on_delete.status, 400);
  EXPECT_EQ(BadField(StatusFromJson(body_on_delete.body)), "body");

  sch::ListBookingsRequest list;
  list.set_resource_id("some-lab");
  const RestRequest bookings = ToRest(Method("scheduler.ListBookings"), list.SerializeAsString());
  ASSERT_EQ(bookings.method, "GET");
  const std::string sep = absl::StrContains(bookings.target, "?") ? "&" : "?";
  const HttpAnswer unknown_parameter =
      SendHttp(port(), "GET", bookings.target + sep + "colour=blue", "", admin);
  EXPECT_EQ(unknown_parameter.status, 400);
  EXPECT_EQ(BadField(StatusFromJson(unknown_parameter.body)), "colour");
  const HttpAnswer comma =
      SendHttp(port(), "GET", bookings.target + sep + "page_size=2,5", "", admin);
  EXPECT_EQ(comma.status, 400);
  EXPECT_EQ(BadField(StatusFromJson(comma.body)), "page_size");
  // Numbers as JSON writes them: no sign '+', spaces, hex or decimal comma.
  for (const char* number : {"%2B5", "%205", "0x10", "5%20", "1e2"}) {
    const HttpAnswer odd =
        SendHttp(port(), "GET", bookings.target + sep + "page_size=" + number, "", admin);
    EXPECT_EQ(odd.status, 400) << number << odd.body;
    EXPECT_EQ(BadField(StatusFromJson(odd.body)), "page_size") << number;
  }
  for (const char* distance : {"0x10", "%2025", "inf", "25,5", "1e", ".5"}) {
    const HttpAnswer odd = SendHttp(
        port(), "GET", std::string("/v1/resources:overlapReport?within_km=") + distance, "", admin);
    EXPECT_EQ(odd.status, 400) << distance << odd.body;
    EXPECT_EQ(BadField(StatusFromJson(odd.body)), "within_km") << distance;
  }
  EXPECT_EQ(
      SendHttp(port(), "GET", "/v1/resources:overlapReport?within_km=2.5e1", "", admin).status,
      200);
  // Only '&' separates parameters (Excel's ';' does not): the value is refused, not half read.
  const HttpAnswer semicolon =
      SendHttp(port(), "GET", bookings.target + sep + "page_size=1;states=BOOKING_STATE_CONFIRMED",
               "", admin);
  EXPECT_EQ(semicolon.status, 400) << semicolon.body;
  EXPECT_EQ(BadField(StatusFromJson(semicolon.body)), "page_size");

  // A body larger than the limit is refused however it is sent: here in chunks, with no length
  // (read only up to the limit, never whole), then the server still answers.
  {
    httplib::Client client("127.0.0.1", port());
    client.set_read_timeout(30, 0);
    size_t sent = 0;
    const std::string chunk(64 * 1024, ' ');
    auto chunked = client.Post(
        create.target, {{"Authorization", Bearer(kAdminToken)}},
        [&](size_t, httplib::DataSink& sink) {
          if (sent >= (16u << 20)) {
            sink.done();
            return true;
          }
          sent += chunk.size();
          return sink.write(chunk.data(), chunk.size());
        },
        "application/json");
    if (chunked) {
      EXPECT_EQ(chunked->status, 413) << chunked->body;
    } else {
      EXPECT_LT(sent, 16u << 20) << "the whole oversized body was taken";
    }
    EXPECT_EQ(SendHttp(port(), "GET", "/v1/tokens:whoAmI", "", admin).status, 200);
  }
  // A multipart form is not JSON: refused before the call.
  const HttpAnswer multipart =
      SendHttp(port(), "POST", create.target,
               "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--\r\n",
               {{"Authorization", Bearer(kAdminToken)},
                {"Content-Type", "multipart/form-data; boundary=b"}});
  EXPECT_EQ(multipart.status, 400) << multipart.body;
  // lowerCamelCase names are taken too, as in JSON.
  const HttpAnswer camel = SendHttp(port(), "GET", bookings.target + sep + "pageSize=2", "", admin);
  EXPECT_NE(camel.status, 400) << camel.body;

  // A 1 MiB name is refused by the same request limits as over gRPC, with the same answer.
  reg::CreateOrganizationRequest huge;
  huge.set_organization_id("huge");
  huge.mutable_organization()->set_display_name(std::string(1 << 20, 'a'));
  huge.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
  grpc::GenericStub generic(server_->channel());
  const auto* method = Method("registry.CreateOrganization");
  const RawReply over_grpc =
      CallRaw(generic, method, Bearer(kAdminToken), huge.SerializeAsString());
  const RawReply over_rest =
      CallRest(port(), method, Bearer(kAdminToken), huge.SerializeAsString());
  EXPECT_NE(over_grpc.status.error_code(), grpc::StatusCode::OK);
  ExpectSameAnswer(method, over_grpc, over_rest, "a 1 MiB name");
}

// A REST call is audited like a gRPC call, with the REST client's address as its peer.
TEST_F(RestApi, ARestCallIsAuditedWithTheClientsAddress) {
  reg::CreateOrganizationRequest create;
  create.set_organization_id("audited-over-rest");
  create.mutable_organization()->set_display_name("Audited over REST");
  create.mutable_organization()->set_kind(reg::ORGANIZATION_KIND_COMPANY);
  const RawReply made = CallRest(port(), Method("registry.CreateOrganization"), Bearer(kAdminToken),
                                 create.SerializeAsString());
  ASSERT_TRUE(made.status.ok()) << made.status.error_message();
  auth::v1::ListAuditEventsRequest request;
  request.set_page_size(50);
  auth::v1::ListAuditEventsResponse events;
  ASSERT_TRUE(server_->Tokens()
                  ->ListAuditEvents(TestServer::Context(kAdminToken).get(), request, &events)
                  .ok());
  bool found = false;
  for (const auto& event : events.events()) {
    if (!absl::StrContains(event.DebugString(), "audited-over-rest")) continue;
    found = true;
    EXPECT_TRUE(absl::StartsWith(event.peer(), "rest:ipv4:127.0.0.1:")) << event.peer();
  }
  EXPECT_TRUE(found);
}

// The impact report over HTTP counts against the token's limits as GetImpactReport over gRPC does
// (before, only the per-address limit of the public listener held it).
TEST(RestRateLimits, TheImpactReportOverHttpCountsAgainstTheTokensLimits) {
  RedisServer redis(ClusterModeRequested());
  Config config = TestServer::DefaultConfig();
  config.http.listen = "127.0.0.1:0";
  config.rate_limits.heavy.per_token_per_s = 0.01;  // one report per 100 s after the burst
  config.rate_limits.heavy.token_burst = 2;
  TestServer server(redis.url(), config);
  registry::v1::CreateOrganizationRequest org;
  org.set_organization_id("roc-rijn");
  org.mutable_organization()->set_display_name("ROC Rijn");
  org.mutable_organization()->set_kind(registry::v1::ORGANIZATION_KIND_VOCATIONAL_SCHOOL);
  registry::v1::Organization made;
  ASSERT_TRUE(server.Registry()
                  ->CreateOrganization(TestServer::Context(kAdminToken).get(), org, &made)
                  .ok());
  registry::v1::CreateNetworkRequest network;
  network.set_network_id("rijn");
  network.mutable_network()->set_display_name("Rijn");
  network.mutable_network()->add_member_organization_ids("roc-rijn");
  registry::v1::Network network_made;
  ASSERT_TRUE(server.Registry()
                  ->CreateNetwork(TestServer::Context(kAdminToken).get(), network, &network_made)
                  .ok());
  const std::string coordinator =
      server.Token("roc-rijn", {auth::v1::ROLE_NETWORK_COORDINATOR}, {"rijn"});
  const std::string report = "/impact/report.json?network=rijn&from=2030-01-01&to=2030-02-01";
  const std::multimap<std::string, std::string> as = {{"Authorization", "Bearer " + coordinator}};
  for (int i = 0; i < 2; ++i) {
    const HttpAnswer answer = SendHttp(server.server().http_port(), "GET", report, "", as);
    ASSERT_EQ(answer.status, 200) << i << answer.body;
  }
  const HttpAnswer refused = SendHttp(server.server().http_port(), "GET", report, "", as);
  EXPECT_EQ(refused.status, 429) << refused.body;
  ASSERT_EQ(refused.headers.count("Retry-After"), 1u);
  const int retry_s = std::stoi(refused.headers.find("Retry-After")->second);
  EXPECT_GE(retry_s, 1);
  EXPECT_LE(retry_s, 101);
  // The anonymous summary is the listener's own (per address), not the token's.
  EXPECT_EQ(SendHttp(server.server().http_port(), "GET", report).status, 401);
}

// A call without a token is answered 401 before its body is read (the connection then closes):
// the body of a call the server refuses whatever it holds is not parsed.
TEST_F(RestApi, ACallWithoutATokenIsRefusedBeforeItsBody) {
  // Headers announcing 1 MiB that never comes: answered at once, and the connection closed.
  const std::string tokenless =
      SendRawHttp(port(),
                  "POST /v1/resources HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                  "Content-Length: 1048576\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(tokenless, "HTTP/1.1 401")) << tokenless;
  EXPECT_TRUE(absl::StrContains(tokenless, "Connection: close")) << tokenless;
  EXPECT_TRUE(absl::StrContains(tokenless, "TOKEN_MISSING")) << tokenless;
  EXPECT_TRUE(absl::StrContains(tokenless, "WWW-Authenticate: Bearer")) << tokenless;
  // With a token, the same call reads its body as before.
  const HttpAnswer made = SendHttp(port(), "POST", "/v1/resources:search", "{}",
                                   {{"Authorization", Bearer(kAdminToken)}});
  EXPECT_EQ(made.status, 200) << made.body;
}

// The OpenAPI document made at build time is what the listener serves, to anyone.
TEST_F(RestApi, TheListenerServesTheOpenApiDocument) {
  const HttpAnswer answer = SendHttp(port(), "GET", "/openapi.json");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.body, std::string(kOpenApiJson));
  const Json document = Json::parse(answer.body);
  EXPECT_EQ(document["openapi"], "3.0.3");
  EXPECT_TRUE(document["paths"].contains("/v1/resources/{id}"));
}

}  // namespace
}  // namespace infrashare::testing
