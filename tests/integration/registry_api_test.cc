// The registry through its public gRPC API: a real Redis (cluster mode when
// INFRASHARE_TEST_REDIS_CLUSTER=1), the real server on loopback, real stubs.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/test_server.h"

namespace infrashare::testing {
namespace {

using namespace registry::v1;
using auth::v1::Role;
using google::protobuf::util::TimeUtil;

class RegistryApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer(ClusterModeRequested());
    if (redis_->cluster()) {
      // The point of the cluster run: a command spanning hash slots must fail here.
      ASSERT_NE(redis_->Cli("MSET {a}x 1 {b}y 2").find("CROSSSLOT"), std::string::npos);
    }
    server_ = new TestServer(redis_->url());
    registry_ = server_->Registry().release();
    CreateOrg("acme", ORGANIZATION_KIND_COMPANY, true);
    CreateOrg("school", ORGANIZATION_KIND_VOCATIONAL_SCHOOL, false);
    CreateOrg("outsider", ORGANIZATION_KIND_COMPANY, false);
    Network tech;
    tech.set_display_name("TechOost");
    tech.add_member_organization_ids("acme");
    tech.add_member_organization_ids("school");
    tech.add_themes(THEME_MANUFACTURING);
    CreateNetworkRequest request;
    *request.mutable_network() = tech;
    request.set_network_id("tech");
    Network created;
    ASSERT_TRUE(registry_->CreateNetwork(Admin().get(), request, &created).ok());
    acme_ = server_->Token("acme", {auth::v1::ROLE_MEMBER});
    acme_admin_ = server_->Token("acme", {auth::v1::ROLE_ORGANIZATION_ADMIN});
    school_ = server_->Token("school", {auth::v1::ROLE_MEMBER});
    outsider_ = server_->Token("outsider", {auth::v1::ROLE_ORGANIZATION_ADMIN});
    reader_ = server_->Token("acme", {auth::v1::ROLE_READ_ONLY_INTEGRATOR});
    coordinator_ = server_->Token("school", {auth::v1::ROLE_NETWORK_COORDINATOR}, {"tech"});
  }
  static void TearDownTestSuite() {
    delete registry_;
    delete server_;
    delete redis_;
  }

  static std::unique_ptr<grpc::ClientContext> Admin() { return TestServer::Context(kAdminToken); }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    return TestServer::Context(token);
  }

  static void CreateOrg(const std::string& id, OrganizationKind kind, bool sme) {
    CreateOrganizationRequest request;
    request.set_organization_id(id);
    request.mutable_organization()->set_display_name(id + " B.V.");
    request.mutable_organization()->set_kind(kind);
    request.mutable_organization()->set_sme(sme);
    Organization created;
    auto status = registry_->CreateOrganization(Admin().get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static Resource Lab(const std::string& name, double lat = 52.5125, double lon = 6.0944) {
    Resource r;
    r.set_display_name(name);
    r.set_description("Shared lab for students and SMEs");
    r.set_kind(RESOURCE_KIND_LAB);
    r.set_owner_organization_id("acme");
    r.add_shared_with_network_ids("tech");
    r.add_themes(THEME_MANUFACTURING);
    r.mutable_location()->mutable_point()->set_latitude(lat);
    r.mutable_location()->mutable_point()->set_longitude(lon);
    r.mutable_location()->mutable_region()->set_province("PV23");
    auto* staff = r.add_staff();
    staff->set_name("Fenna de Vries");
    staff->set_role(STAFF_ROLE_FACILITY_MANAGER);
    staff->set_email("fenna@acme.example");
    return r;
  }

  static grpc::Status Create(const std::string& token, const Resource& r, Resource* out,
                             const std::string& request_id = "") {
    CreateResourceRequest request;
    *request.mutable_resource() = r;
    request.set_request_id(request_id);
    return registry_->CreateResource(As(token).get(), request, out);
  }

  static RedisServer* redis_;
  static TestServer* server_;
  static RegistryService::Stub* registry_;
  static std::string acme_, acme_admin_, school_, outsider_, reader_, coordinator_;
};

RedisServer* RegistryApiTest::redis_ = nullptr;
TestServer* RegistryApiTest::server_ = nullptr;
RegistryService::Stub* RegistryApiTest::registry_ = nullptr;
std::string RegistryApiTest::acme_, RegistryApiTest::acme_admin_, RegistryApiTest::school_,
    RegistryApiTest::outsider_, RegistryApiTest::reader_, RegistryApiTest::coordinator_;

// Paging organisations to the end: every one once, and no empty last page when the count is a
// multiple of the page size (unfiltered and filtered by kind).
TEST_F(RegistryApiTest, ListingOrganisationsPagesToTheEndWithoutAnEmptyPage) {
  auto all = [](OrganizationKind kind, int page_size, int* pages) {
    std::vector<std::string> ids;
    ListOrganizationsRequest request;
    request.set_page_size(page_size);
    request.set_kind(kind);
    *pages = 0;
    do {
      ListOrganizationsResponse response;
      auto status = registry_->ListOrganizations(Admin().get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      ++*pages;
      EXPECT_GT(response.organizations_size(), 0) << "an empty page " << *pages;
      for (const auto& o : response.organizations()) ids.push_back(o.id());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return ids;
  };
  int pages = 0;
  int n = static_cast<int>(all(ORGANIZATION_KIND_UNSPECIFIED, 500, &pages).size());
  for (int i = 0; n % 7 != 0; ++i, ++n)
    CreateOrg("paging-" + std::to_string(i), ORGANIZATION_KIND_COMPANY, false);
  const auto ids = all(ORGANIZATION_KIND_UNSPECIFIED, 7, &pages);
  EXPECT_EQ(static_cast<int>(ids.size()), n);
  EXPECT_EQ(pages, n / 7);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  const auto companies = all(ORGANIZATION_KIND_COMPANY, 500, &pages);
  EXPECT_EQ(all(ORGANIZATION_KIND_COMPANY, 1, &pages), companies);
  EXPECT_EQ(pages, static_cast<int>(companies.size()));
}

TEST_F(RegistryApiTest, ResourceLifecycleWithEtags) {
  Resource created;
  ASSERT_TRUE(Create(acme_, Lab("Lifecycle Lab"), &created).ok());
  EXPECT_FALSE(created.id().empty());
  EXPECT_EQ(created.etag(), "1");
  EXPECT_EQ(created.audit().created_by(), "acme");

  UpdateResourceRequest update;
  update.mutable_resource()->set_id(created.id());
  update.mutable_resource()->set_display_name("Renamed Lab");
  update.mutable_resource()->set_etag("1");
  update.mutable_update_mask()->add_paths("display_name");
  Resource updated;
  ASSERT_TRUE(registry_->UpdateResource(As(acme_).get(), update, &updated).ok());
  EXPECT_EQ(updated.display_name(), "Renamed Lab");
  EXPECT_EQ(updated.etag(), "2");
  EXPECT_EQ(updated.themes_size(), 1);  // untouched by the mask

  auto stale = registry_->UpdateResource(As(acme_).get(), update, &updated);  // etag "1" again
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Reason(stale), "ETAG_MISMATCH");

  DeleteResourceRequest del;
  del.set_id(created.id());
  del.set_etag("2");
  DeleteResponse deleted;
  ASSERT_TRUE(registry_->DeleteResource(As(acme_).get(), del, &deleted).ok());
  GetResourceRequest get;
  get.set_id(created.id());
  Resource gone;
  EXPECT_EQ(registry_->GetResource(As(acme_).get(), get, &gone).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(RegistryApiTest, RetryWithTheSameRequestIdReturnsTheFirstResult) {
  Resource first, second;
  ASSERT_TRUE(Create(acme_, Lab("Idempotent Lab"), &first, "req-idem-1").ok());
  ASSERT_TRUE(Create(acme_, Lab("Idempotent Lab"), &second, "req-idem-1").ok());
  EXPECT_EQ(first.id(), second.id());
  SearchResourcesRequest search;
  search.set_text_prefix("idempotent");
  SearchResourcesResponse found;
  ASSERT_TRUE(registry_->SearchResources(As(acme_).get(), search, &found).ok());
  EXPECT_EQ(found.total_size(), 1);
}

// A retry answered from its replay after the resource was deleted puts nothing back into the
// replica's search (before, the stored copy went into its index and stayed there, bookable too).
TEST_F(RegistryApiTest, ARetryOfACreateAfterItsDeletionLeavesTheResourceGone) {
  Resource first, again;
  ASSERT_TRUE(Create(acme_, Lab("Zwolse Verdwenen Lab"), &first, "req-gone-1").ok());
  DeleteResourceRequest del;
  del.set_id(first.id());
  DeleteResponse deleted;
  ASSERT_TRUE(registry_->DeleteResource(As(acme_).get(), del, &deleted).ok());
  ASSERT_TRUE(Create(acme_, Lab("Zwolse Verdwenen Lab"), &again, "req-gone-1").ok());
  EXPECT_EQ(again.id(), first.id());  // the first call's answer
  SearchResourcesRequest search;
  search.set_text_prefix("verdwenen");
  SearchResourcesResponse found;
  ASSERT_TRUE(registry_->SearchResources(As(acme_).get(), search, &found).ok());
  EXPECT_EQ(found.total_size(), 0) << found.DebugString();
}

// Search keeps a resource's name and tags whatever its description holds: 300 distinct words
// before them in the alphabet (before, only the alphabetically first 200 words were indexed).
TEST_F(RegistryApiTest, ALongDescriptionDoesNotHideTheNameOrTagsFromSearch) {
  Resource lab = Lab("Waterstoflab Zeeland");
  std::string description;
  for (int i = 0; i < 300; ++i) description += "aw" + std::to_string(i) + " ";
  lab.set_description(description);
  lab.add_tags("zonnepanelen");
  Resource created;
  auto status = Create(acme_, lab, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (const char* prefix : {"waterstof", "zeeland", "zonnepan", "aw1"}) {
    SearchResourcesRequest search;
    search.set_text_prefix(prefix);
    SearchResourcesResponse found;
    ASSERT_TRUE(registry_->SearchResources(As(acme_).get(), search, &found).ok());
    EXPECT_EQ(found.total_size(), 1) << prefix;
  }
}

TEST_F(RegistryApiTest, ARequestIdReusedForADifferentRequestIsRefused) {
  Resource first, other;
  ASSERT_TRUE(Create(acme_, Lab("Reused Key Lab"), &first, "req-reused-1").ok());
  auto reused = Create(acme_, Lab("Another Lab Entirely"), &other, "req-reused-1");
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << reused.error_message();
  EXPECT_EQ(BadField(reused), "request_id");
  SearchResourcesRequest search;
  search.set_text_prefix("entirely");
  SearchResourcesResponse found;
  ASSERT_TRUE(registry_->SearchResources(As(acme_).get(), search, &found).ok());
  EXPECT_EQ(found.total_size(), 0);

  // The import's replay is kept apart from its rows' writes: the same check holds there.
  ImportResourcesRequest import;
  import.set_request_id("req-reused-import");
  *import.add_resources() = Lab("Reused Key Import Lab");
  ImportResourcesResponse imported;
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), import, &imported).ok());
  import.mutable_resources(0)->set_description("changed");
  auto changed = registry_->ImportResources(As(acme_).get(), import, &imported);
  EXPECT_EQ(changed.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << changed.error_message();
  EXPECT_EQ(BadField(changed), "request_id");
}

// Import ids made from a natural key are computable by anyone: ids of that shape are the server's
// to make, so nobody can take another organisation's name before it imports it.
TEST_F(RegistryApiTest, ServerMadeIdsCannotBeChosenByCallers) {
  Resource r = Lab("Squatted Lab");
  CreateResourceRequest request;
  *request.mutable_resource() = r;
  request.set_resource_id("res_d47e5b1833483791");
  Resource out;
  auto status = registry_->CreateResource(As(acme_).get(), request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(BadField(status), "resource_id");
  ImportResourcesRequest import;
  r.set_id("res_0123456789abcdef");
  *import.add_resources() = r;
  ImportResourcesResponse imported;
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), import, &imported).ok());
  ASSERT_EQ(imported.rows_size(), 1);
  EXPECT_FALSE(imported.rows(0).ok());
  EXPECT_EQ(imported.rows(0).field(), "resources[0].id");
}

// An imported row changes what it sets and keeps the rest (staff, terms, sharing).
TEST_F(RegistryApiTest, AnImportedRowKeepsTheFieldsItDoesNotSet) {
  Resource lab;
  ASSERT_TRUE(Create(acme_, Lab("Kept Fields Lab"), &lab).ok());
  ImportResourcesRequest import;
  Resource row;
  row.set_id(lab.id());
  row.set_description("only this changes");
  row.mutable_location()->mutable_point()->set_latitude(52.6);
  *import.add_resources() = row;
  ImportResourcesResponse imported;
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), import, &imported).ok());
  ASSERT_EQ(imported.updated(), 1) << imported.DebugString();
  GetResourceRequest get;
  get.set_id(lab.id());
  Resource after;
  ASSERT_TRUE(registry_->GetResource(As(acme_).get(), get, &after).ok());
  EXPECT_EQ(after.description(), "only this changes");
  EXPECT_EQ(after.display_name(), "Kept Fields Lab");
  EXPECT_EQ(after.staff_size(), 1);
  EXPECT_EQ(after.shared_with_network_ids_size(), 1);
  EXPECT_EQ(after.themes_size(), 1);
  EXPECT_DOUBLE_EQ(after.location().point().latitude(), 52.6);
  EXPECT_DOUBLE_EQ(after.location().point().longitude(), 6.0944);  // a sibling leaf is kept
  EXPECT_EQ(after.location().region().province(), "PV23");
}

// A row with an etag is a conditional update: made against an older version (someone changed the
// resource since the sheet was exported) it is refused, naming the etag, and changes nothing.
TEST_F(RegistryApiTest, AnImportedRowWithAStaleEtagIsRefused) {
  Resource lab;
  ASSERT_TRUE(Create(acme_, Lab("Versioned Import Lab"), &lab).ok());
  ImportResourcesRequest import;
  Resource row;
  row.set_id(lab.id());
  row.set_etag(lab.etag());
  row.set_description("first change");
  *import.add_resources() = row;
  ImportResourcesResponse imported;
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), import, &imported).ok());
  ASSERT_EQ(imported.updated(), 1) << imported.DebugString();
  import.mutable_resources(0)->set_description("made from the old export");
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), import, &imported).ok());
  EXPECT_EQ(imported.failed(), 1) << imported.DebugString();
  EXPECT_EQ(imported.rows(0).field(), "resources[0].etag");
  // A version of a resource that does not exist is refused too.
  import.mutable_resources(0)->set_id("never-made-lab");
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), import, &imported).ok());
  EXPECT_EQ(imported.failed(), 1) << imported.DebugString();
  GetResourceRequest get;
  get.set_id(lab.id());
  Resource after;
  ASSERT_TRUE(registry_->GetResource(As(acme_).get(), get, &after).ok());
  EXPECT_EQ(after.description(), "first change");
}

TEST_F(RegistryApiTest, BadInputNamesTheFieldAndWritesNothing) {
  Resource bad = Lab("Nowhere Lab", 91, 6);
  Resource out;
  auto status = Create(acme_, bad, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "resource.location.point.latitude");

  bad = Lab("Foreign Lab");
  bad.set_owner_organization_id("no-such-org");
  bad.clear_shared_with_network_ids();
  // Nobody may write for an organisation that is not theirs, existing or not.
  EXPECT_EQ(Create(acme_, bad, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Create(kAdminToken, bad, &out).error_code(), grpc::StatusCode::NOT_FOUND);

  bad = Lab("Unshared Lab");
  bad.set_owner_organization_id("outsider");
  auto not_member = Create(outsider_, bad, &out);
  EXPECT_EQ(not_member.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(not_member), "NOT_A_NETWORK_MEMBER");

  SearchResourcesRequest search;
  search.set_text_prefix("nowhere");
  SearchResourcesResponse found;
  ASSERT_TRUE(registry_->SearchResources(As(acme_).get(), search, &found).ok());
  EXPECT_EQ(found.total_size(), 0);

  GetResourceRequest get;
  get.set_id("Not An Id!");
  EXPECT_EQ(registry_->GetResource(As(acme_).get(), get, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ListResourcesRequest list;
  list.set_page_size(100000);
  ListResourcesResponse page;
  EXPECT_EQ(BadField(registry_->ListResources(As(acme_).get(), list, &page)), "page_size");
}

TEST_F(RegistryApiTest, EveryMutationWithAForeignTokenIsRefused) {
  Resource lab;
  ASSERT_TRUE(Create(acme_, Lab("Guarded Lab"), &lab).ok());
  Resource out;
  EXPECT_EQ(Create(outsider_, Lab("Stolen Lab"), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Create(reader_, Lab("Reader Lab"), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Create("", Lab("Anonymous Lab"), &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Create("ist_forged_token", Lab("Forged Lab"), &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  UpdateResourceRequest update;
  update.mutable_resource()->set_id(lab.id());
  update.mutable_resource()->set_display_name("Mine now");
  update.mutable_update_mask()->add_paths("display_name");
  for (const auto& token : {outsider_, school_, reader_})
    EXPECT_EQ(registry_->UpdateResource(As(token).get(), update, &out).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  DeleteResourceRequest del;
  del.set_id(lab.id());
  DeleteResponse deleted;
  EXPECT_EQ(registry_->DeleteResource(As(outsider_).get(), del, &deleted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  PublishAvailabilityRequest publish;
  publish.set_resource_id(lab.id());
  Availability availability;
  EXPECT_EQ(
      registry_->PublishAvailability(As(outsider_).get(), publish, &availability).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ImportResourcesRequest import;
  *import.add_resources() = lab;
  ImportResourcesResponse imported;
  ASSERT_TRUE(registry_->ImportResources(As(outsider_).get(), import, &imported).ok());
  ASSERT_EQ(imported.rows_size(), 1);
  EXPECT_FALSE(imported.rows(0).ok());

  UpdateOrganizationRequest org_update;
  org_update.mutable_organization()->set_id("acme");
  org_update.mutable_organization()->set_display_name("Taken over");
  org_update.mutable_update_mask()->add_paths("display_name");
  Organization org;
  EXPECT_EQ(registry_->UpdateOrganization(As(outsider_).get(), org_update, &org).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(registry_->UpdateOrganization(As(acme_).get(), org_update, &org).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // a member, not an admin
  CreateOrganizationRequest org_create;
  org_create.mutable_organization()->set_display_name("Shell");
  org_create.mutable_organization()->set_kind(ORGANIZATION_KIND_COMPANY);
  EXPECT_EQ(registry_->CreateOrganization(As(outsider_).get(), org_create, &org).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  DeleteOrganizationRequest org_delete;
  org_delete.set_id("acme");
  EXPECT_EQ(registry_->DeleteOrganization(As(acme_admin_).get(), org_delete, &deleted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  UpdateNetworkRequest net_update;
  net_update.mutable_network()->set_id("tech");
  net_update.mutable_network()->set_description("ours");
  net_update.mutable_update_mask()->add_paths("description");
  Network net;
  EXPECT_EQ(registry_->UpdateNetwork(As(outsider_).get(), net_update, &net).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(registry_->UpdateNetwork(As(coordinator_).get(), net_update, &net).ok());
  CreateNetworkRequest net_create;
  net_create.mutable_network()->set_display_name("Rogue");
  EXPECT_EQ(registry_->CreateNetwork(As(coordinator_).get(), net_create, &net).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  DeleteNetworkRequest net_delete;
  net_delete.set_id("tech");
  EXPECT_EQ(registry_->DeleteNetwork(As(coordinator_).get(), net_delete, &deleted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RegistryApiTest, StaffContactsOnlyForMembersOfASharedNetwork) {
  Resource lab;
  ASSERT_TRUE(Create(acme_, Lab("Staffed Lab"), &lab).ok());
  GetResourceRequest get;
  get.set_id(lab.id());
  Resource seen;
  ASSERT_TRUE(registry_->GetResource(As(school_).get(), get, &seen).ok());
  EXPECT_EQ(seen.staff_size(), 1);
  ASSERT_TRUE(registry_->GetResource(As(outsider_).get(), get, &seen).ok());
  EXPECT_EQ(seen.staff_size(), 0);
  EXPECT_EQ(seen.display_name(), "Staffed Lab");
}

// An open WatchResources redacts by the caller's networks as they are when a change is sent, not
// as they were when the stream opened: an organisation removed from the network stops seeing the
// staff contacts on the stream it already had open, and one added starts seeing them.
TEST_F(RegistryApiTest, AnOpenStreamRedactsByTheNetworksOfNow) {
  CreateOrg("vertrekker", ORGANIZATION_KIND_VOCATIONAL_SCHOOL, false);
  CreateOrg("nieuwkomer", ORGANIZATION_KIND_COMPANY, false);
  CreateNetworkRequest create;
  create.set_network_id("wisselnet");
  create.mutable_network()->set_display_name("Wisselnet Zeeland");
  create.mutable_network()->add_member_organization_ids("acme");
  create.mutable_network()->add_member_organization_ids("vertrekker");
  Network net;
  ASSERT_TRUE(registry_->CreateNetwork(Admin().get(), create, &net).ok());
  Resource lab = Lab("Wissellab Middelburg"), created;
  lab.clear_shared_with_network_ids();
  lab.add_shared_with_network_ids("wisselnet");
  ASSERT_TRUE(Create(acme_, lab, &created).ok());

  struct Watcher {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<ResourceChange>> reader;
    // The staff seen with the next change of `id` named `name`.
    int StaffWith(const std::string& id, const std::string& name) {
      ResourceChange change;
      while (reader->Read(&change))
        if (change.resource_id() == id && change.resource().display_name() == name)
          return change.resource().staff_size();
      return -1;
    }
  };
  auto watch = [](const std::string& token) {
    Watcher w{As(token), nullptr};
    WatchResourcesRequest request;
    request.set_cursor("0-0");  // from the start of the log: no change is missed while it opens
    w.reader = registry_->WatchResources(w.context.get(), request);
    return w;
  };
  const std::string leaver = server_->Token("vertrekker", {auth::v1::ROLE_MEMBER});
  const std::string joiner = server_->Token("nieuwkomer", {auth::v1::ROLE_MEMBER});
  Watcher leaving = watch(leaver), joining = watch(joiner);
  auto rename = [&](const std::string& name) {
    UpdateResourceRequest update;
    update.mutable_resource()->set_id(created.id());
    update.mutable_resource()->set_display_name(name);
    update.mutable_update_mask()->add_paths("display_name");
    Resource updated;
    ASSERT_TRUE(registry_->UpdateResource(As(acme_).get(), update, &updated).ok());
  };
  rename("Wissellab Middelburg 1");
  EXPECT_EQ(leaving.StaffWith(created.id(), "Wissellab Middelburg 1"), 1);
  EXPECT_EQ(joining.StaffWith(created.id(), "Wissellab Middelburg 1"), 0);

  UpdateNetworkRequest swap;
  swap.mutable_network()->set_id("wisselnet");
  swap.mutable_network()->add_member_organization_ids("acme");
  swap.mutable_network()->add_member_organization_ids("nieuwkomer");
  swap.mutable_update_mask()->add_paths("member_organization_ids");
  ASSERT_TRUE(registry_->UpdateNetwork(Admin().get(), swap, &net).ok());
  // Once this replica has followed the change (GetResource reads the same read model)...
  GetResourceRequest get;
  get.set_id(created.id());
  Resource seen;
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(registry_->GetResource(As(joiner).get(), get, &seen).ok());
    if (seen.staff_size() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(seen.staff_size(), 1);
  // ...the streams opened before it redact by the new membership.
  rename("Wissellab Middelburg 2");
  EXPECT_EQ(leaving.StaffWith(created.id(), "Wissellab Middelburg 2"), 0);
  EXPECT_EQ(joining.StaffWith(created.id(), "Wissellab Middelburg 2"), 1);
  leaving.context->TryCancel();
  joining.context->TryCancel();
}

TEST_F(RegistryApiTest, ListingPagesThroughEveryResourceOfAnOwner) {
  CreateOrg("pager", ORGANIZATION_KIND_COMPANY, false);
  std::string token = server_->Token("pager", {auth::v1::ROLE_MEMBER});
  std::set<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    Resource r = Lab("Pager Lab " + std::to_string(i)), out;
    r.set_owner_organization_id("pager");
    r.clear_shared_with_network_ids();
    ASSERT_TRUE(Create(token, r, &out).ok());
    ids.insert(out.id());
  }
  ListResourcesRequest list;
  list.set_owner_organization_id("pager");
  list.set_page_size(3);
  std::set<std::string> listed;
  int pages = 0;
  do {
    ListResourcesResponse page;
    ASSERT_TRUE(registry_->ListResources(As(token).get(), list, &page).ok());
    for (const auto& r : page.resources()) listed.insert(r.id());
    list.set_page_token(page.next_page_token());
    ++pages;
  } while (!list.page_token().empty() && pages < 10);
  EXPECT_EQ(listed, ids);
  EXPECT_EQ(pages, 3);

  DeleteOrganizationRequest del;
  del.set_id("pager");
  DeleteResponse deleted;
  auto in_use = registry_->DeleteOrganization(Admin().get(), del, &deleted);
  EXPECT_EQ(in_use.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(in_use), "IN_USE");
}

TEST_F(RegistryApiTest, AvailabilityExpandsDstCorrectlyAndSubtractsClosures) {
  Resource lab;
  ASSERT_TRUE(Create(acme_, Lab("Opening Hours Lab"), &lab).ok());
  // Nothing published yet: open at any time, as the scheduler books it.
  GetAvailabilityRequest before;
  before.set_resource_id(lab.id());
  TimeUtil::FromString("2026-03-28T00:00:00Z", before.mutable_start_time());
  TimeUtil::FromString("2026-03-31T00:00:00Z", before.mutable_end_time());
  GetAvailabilityResponse open;
  ASSERT_TRUE(registry_->GetAvailability(As(outsider_).get(), before, &open).ok());
  EXPECT_FALSE(open.has_availability());
  ASSERT_EQ(open.windows_size(), 1);
  EXPECT_EQ(open.windows(0).start_time().seconds(), before.start_time().seconds());
  EXPECT_EQ(open.windows(0).end_time().seconds(), before.end_time().seconds());

  PublishAvailabilityRequest publish;
  publish.set_resource_id(lab.id());
  auto* rule = publish.add_rules();
  rule->set_rrule("FREQ=DAILY");
  rule->set_start_time("08:30");
  rule->set_duration_minutes(480);
  rule->set_valid_from("2026-01-01");
  auto* closure = publish.add_closures();
  TimeUtil::FromString("2026-03-30T10:00:00Z", closure->mutable_start_time());
  TimeUtil::FromString("2026-03-30T11:00:00Z", closure->mutable_end_time());
  closure->set_kind(CLOSURE_KIND_MAINTENANCE);
  Availability published;
  ASSERT_TRUE(registry_->PublishAvailability(As(acme_).get(), publish, &published).ok());
  EXPECT_EQ(published.etag(), "1");

  GetAvailabilityRequest get;
  get.set_resource_id(lab.id());
  TimeUtil::FromString("2026-03-28T00:00:00Z", get.mutable_start_time());
  TimeUtil::FromString("2026-03-31T00:00:00Z", get.mutable_end_time());
  GetAvailabilityResponse windows;
  ASSERT_TRUE(registry_->GetAvailability(As(outsider_).get(), get, &windows).ok());
  std::vector<std::string> got;
  for (const auto& w : windows.windows())
    got.push_back(TimeUtil::ToString(w.start_time()) + "/" + TimeUtil::ToString(w.end_time()));
  EXPECT_EQ(got, (std::vector<std::string>{
                     "2026-03-28T07:30:00Z/2026-03-28T15:30:00Z",  // CET
                     "2026-03-29T06:30:00Z/2026-03-29T14:30:00Z",  // CEST from this day
                     "2026-03-30T06:30:00Z/2026-03-30T10:00:00Z",  // closed 10:00-11:00 UTC
                     "2026-03-30T11:00:00Z/2026-03-30T14:30:00Z"}));

  publish.set_etag("7");
  EXPECT_EQ(registry_->PublishAvailability(As(acme_).get(), publish, &published).error_code(),
            grpc::StatusCode::ABORTED);
  publish.set_etag("1");
  publish.mutable_rules(0)->set_rrule("FREQ=NEVERMORE");
  EXPECT_EQ(BadField(registry_->PublishAvailability(As(acme_).get(), publish, &published)),
            "rules[0].rrule");
  TimeUtil::FromString("2026-03-27T00:00:00Z", get.mutable_end_time());
  EXPECT_EQ(BadField(registry_->GetAvailability(As(acme_).get(), get, &windows)), "end_time");
}

TEST_F(RegistryApiTest, SearchCombinesFacetsRadiusAndText) {
  Resource near, far, out;
  ASSERT_TRUE(Create(acme_, Lab("Zwolle Robotics Fieldlab", 52.51, 6.09), &near).ok());
  ASSERT_TRUE(Create(acme_, Lab("Eindhoven Robotics Fieldlab", 51.44, 5.47), &far).ok());
  SearchResourcesRequest request;
  request.add_themes(THEME_MANUFACTURING);
  request.add_kinds(RESOURCE_KIND_LAB);
  request.set_text_prefix("robot");
  request.mutable_within()->mutable_center()->set_latitude(52.5125);
  request.mutable_within()->mutable_center()->set_longitude(6.0944);
  request.mutable_within()->set_radius_km(25);
  request.set_order_by(SEARCH_ORDER_DISTANCE);
  SearchResourcesResponse response;
  ASSERT_TRUE(registry_->SearchResources(As(outsider_).get(), request, &response).ok());
  ASSERT_EQ(response.hits_size(), 1);
  EXPECT_EQ(response.hits(0).resource().id(), near.id());
  EXPECT_EQ(response.hits(0).resource().staff_size(), 0);  // redacted for an outsider
  EXPECT_LT(response.hits(0).distance_km(), 1.0);
  EXPECT_FALSE(response.facets().empty());
}

TEST_F(RegistryApiTest, WatchStreamsChangesAndResumesFromACursor) {
  Resource lab;
  ASSERT_TRUE(Create(acme_, Lab("Watched Lab"), &lab).ok());
  auto read_until = [&](const std::string& cursor, ChangeType type) {
    auto context = As(school_);
    WatchResourcesRequest request;
    request.set_cursor(cursor);
    auto reader = registry_->WatchResources(context.get(), request);
    ResourceChange change;
    while (reader->Read(&change)) {
      if (change.resource_id() == lab.id() && change.type() == type) {
        context->TryCancel();
        return change;
      }
    }
    return ResourceChange();
  };
  ResourceChange created = read_until("0-0", CHANGE_TYPE_CREATED);
  ASSERT_FALSE(created.cursor().empty());
  EXPECT_EQ(created.resource().display_name(), "Watched Lab");

  UpdateResourceRequest update;
  update.mutable_resource()->set_id(lab.id());
  update.mutable_resource()->set_display_name("Watched Lab 2");
  update.mutable_update_mask()->add_paths("display_name");
  Resource updated;
  ASSERT_TRUE(registry_->UpdateResource(As(acme_).get(), update, &updated).ok());
  ResourceChange change = read_until(created.cursor(), CHANGE_TYPE_UPDATED);
  EXPECT_EQ(change.resource().display_name(), "Watched Lab 2");

  auto context = As(school_);
  WatchResourcesRequest bad;
  bad.set_cursor("yesterday");
  auto reader = registry_->WatchResources(context.get(), bad);
  ResourceChange ignored;
  EXPECT_FALSE(reader->Read(&ignored));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RegistryApiTest, ARevokedTokenLosesItsOpenStream) {
  auto tokens = server_->Tokens();
  auth::v1::CreateTokenRequest create;
  create.set_organization_id("school");
  create.add_roles(auth::v1::ROLE_MEMBER);
  auth::v1::CreateTokenResponse created;
  ASSERT_TRUE(tokens->CreateToken(Admin().get(), create, &created).ok());
  auto context = As(created.token());
  WatchResourcesRequest request;  // from now on: nothing arrives unless something changes
  auto reader = registry_->WatchResources(context.get(), request);
  auth::v1::TokenInfo me;
  ASSERT_TRUE(tokens->WhoAmI(As(created.token()).get(), {}, &me).ok());
  auth::v1::RevokeTokenRequest revoke;
  revoke.set_id(me.id());
  auth::v1::RevokeTokenResponse revoked;
  ASSERT_TRUE(tokens->RevokeToken(Admin().get(), revoke, &revoked).ok());
  ResourceChange change;
  while (reader->Read(&change)) {
  }
  // Ends well before the call's own 10 s deadline, and says why.
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RegistryApiTest, ImportReportsEveryRowAndARetryChangesNothing) {
  ImportResourcesRequest request;
  request.set_request_id("import-1");
  *request.add_resources() = Lab("Import Lab A");
  *request.add_resources() = Lab("Import Lab B", 95, 6);
  *request.add_resources() = Lab("Import Lab C");
  ImportResourcesResponse response;
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), request, &response).ok());
  EXPECT_EQ(response.created(), 2);
  EXPECT_EQ(response.failed(), 1);
  ASSERT_EQ(response.rows_size(), 3);
  EXPECT_FALSE(response.rows(1).ok());
  EXPECT_EQ(response.rows(1).field(), "resources[1].location.point.latitude");

  ImportResourcesResponse again;
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), request, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), response.SerializeAsString());

  // Upsert by id: the same rows with their ids update instead of duplicating.
  ImportResourcesRequest upsert;
  Resource a = Lab("Import Lab A, renamed");
  a.set_id(response.rows(0).resource_id());
  *upsert.add_resources() = a;
  ImportResourcesResponse upserted;
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), upsert, &upserted).ok());
  EXPECT_EQ(upserted.updated(), 1);
  EXPECT_EQ(upserted.created(), 0);
}

TEST_F(RegistryApiTest, ImportFindsARowWithoutIdByItsOwnerAndFoldedName) {
  auto import = [](std::vector<Resource> rows) {
    ImportResourcesRequest request;
    for (auto& r : rows) *request.add_resources() = std::move(r);
    ImportResourcesResponse response;
    EXPECT_TRUE(registry_->ImportResources(As(acme_).get(), request, &response).ok());
    return response;
  };
  ImportResourcesResponse first = import({Lab("Één loket Café"), Lab("’s-Hertogenbosch Fieldlab")});
  ASSERT_EQ(first.created(), 2);
  ASSERT_EQ(first.rows_size(), 2);

  // Case, accents and spacing aside, the same owner and name is the same resource.
  ImportResourcesResponse again =
      import({Lab("  EEN loket  cafe "), Lab("’s-Hertogenbosch Fieldlab")});
  EXPECT_EQ(again.created(), 0);
  EXPECT_EQ(again.updated(), 1);  // the name is spelled differently now
  EXPECT_EQ(again.unchanged(), 1);
  ASSERT_EQ(again.rows_size(), 2);
  EXPECT_EQ(again.rows(0).resource_id(), first.rows(0).resource_id());
  EXPECT_EQ(again.rows(1).resource_id(), first.rows(1).resource_id());
  ListResourcesRequest list;
  list.set_owner_organization_id("acme");
  list.set_page_size(500);
  ListResourcesResponse listed;
  ASSERT_TRUE(registry_->ListResources(As(acme_).get(), list, &listed).ok());
  int loketten = 0;
  for (const auto& r : listed.resources()) loketten += r.id() == first.rows(0).resource_id();
  EXPECT_EQ(loketten, 1);

  // Two rows of one import with the same natural key: the later one is refused, naming the first.
  ImportResourcesResponse twice = import({Lab("Dubbel Lab"), Lab("Tweede Lab"), Lab("DUBBEL LAB")});
  EXPECT_EQ(twice.created(), 2);
  EXPECT_EQ(twice.failed(), 1);
  ASSERT_EQ(twice.rows_size(), 3);
  EXPECT_FALSE(twice.rows(2).ok());
  EXPECT_EQ(twice.rows(2).field(), "resources[2].display_name");
  EXPECT_NE(twice.rows(2).error().find("resources[0]"), std::string::npos) << twice.rows(2).error();

  // A renamed row without id is another resource.
  ImportResourcesResponse renamed = import({Lab("Één loket Café Zwolle")});
  EXPECT_EQ(renamed.created(), 1);
  EXPECT_NE(renamed.rows(0).resource_id(), first.rows(0).resource_id());
}

TEST_F(RegistryApiTest, ReimportingUnchangedRowsWritesNothingAndEmitsNoChange) {
  std::vector<Resource> rows = {Lab("Stable Lab 1"), Lab("Stable Lab 2"), Lab("Stable Lab 3")};
  ImportResourcesRequest request;
  for (const auto& r : rows) *request.add_resources() = r;
  ImportResourcesResponse first;
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), request, &first).ok());
  ASSERT_EQ(first.created(), 3);
  std::set<std::string> ids;
  for (const auto& row : first.rows()) ids.insert(row.resource_id());

  // The cursor just past the three creations.
  std::string cursor;
  {
    auto context = As(school_);
    WatchResourcesRequest watch;
    watch.set_cursor("0-0");
    auto reader = registry_->WatchResources(context.get(), watch);
    std::set<std::string> seen;
    ResourceChange change;
    while (seen.size() < ids.size() && reader->Read(&change))
      if (ids.count(change.resource_id()) && change.type() == CHANGE_TYPE_CREATED) {
        seen.insert(change.resource_id());
        cursor = change.cursor();
      }
    context->TryCancel();
    ASSERT_EQ(seen.size(), ids.size());
  }

  ImportResourcesResponse again;
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), request, &again).ok());
  EXPECT_EQ(again.created(), 0);
  EXPECT_EQ(again.updated(), 0);
  EXPECT_EQ(again.unchanged(), 3);
  EXPECT_EQ(again.failed(), 0);
  for (const auto& row : again.rows()) {
    EXPECT_TRUE(row.ok());
    EXPECT_FALSE(row.created());
  }
  for (const auto& id : ids) {
    GetResourceRequest get;
    get.set_id(id);
    Resource stored;
    ASSERT_TRUE(registry_->GetResource(As(acme_).get(), get, &stored).ok());
    EXPECT_EQ(stored.etag(), "1") << id;
  }

  // One changed row: only that one is written. Its change event also marks the end of what to read.
  request.mutable_resources(1)->set_description("Now with a second milling machine");
  ImportResourcesResponse changed;
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), request, &changed).ok());
  EXPECT_EQ(changed.updated(), 1);
  EXPECT_EQ(changed.unchanged(), 2);
  const std::string changed_id = changed.rows(1).resource_id();
  auto context = As(school_);
  WatchResourcesRequest watch;
  watch.set_cursor(cursor);
  auto reader = registry_->WatchResources(context.get(), watch);
  std::vector<std::string> events;  // of the three, up to and including the update
  ResourceChange change;
  while (reader->Read(&change)) {
    if (!ids.count(change.resource_id())) continue;
    events.push_back(change.resource_id() + " " + ChangeType_Name(change.type()));
    if (change.resource_id() == changed_id) break;
  }
  context->TryCancel();
  EXPECT_EQ(events, std::vector<std::string>{changed_id + " CHANGE_TYPE_UPDATED"});
}

TEST_F(RegistryApiTest, EveryRefusedImportRowNamesItsField) {
  Resource acme_lab;
  ASSERT_TRUE(Create(acme_, Lab("Someone Else's Lab"), &acme_lab).ok());
  Resource unshared = Lab("Outsider Lab");
  unshared.set_owner_organization_id("outsider");  // shared with tech, which outsider is not in
  Resource no_network = Lab("Outsider Lab 2");
  no_network.set_owner_organization_id("outsider");
  no_network.set_shared_with_network_ids(0, "no-such-network");
  Resource foreign_parent = Lab("Outsider Lab 3");
  foreign_parent.set_owner_organization_id("outsider");
  foreign_parent.clear_shared_with_network_ids();
  foreign_parent.set_parent_resource_id(acme_lab.id());
  ImportResourcesRequest request;
  *request.add_resources() = unshared;
  *request.add_resources() = no_network;
  *request.add_resources() = foreign_parent;
  *request.add_resources() = acme_lab;  // not theirs
  ImportResourcesResponse response;
  ASSERT_TRUE(registry_->ImportResources(As(outsider_).get(), request, &response).ok());
  ASSERT_EQ(response.rows_size(), 4);
  EXPECT_EQ(response.failed(), 4);
  EXPECT_EQ(response.rows(0).field(), "resources[0].shared_with_network_ids[0]")
      << response.rows(0).error();
  EXPECT_EQ(response.rows(1).field(), "resources[1].shared_with_network_ids[0]")
      << response.rows(1).error();
  EXPECT_EQ(response.rows(2).field(), "resources[2].parent_resource_id")
      << response.rows(2).error();
  EXPECT_EQ(response.rows(3).field(), "resources[3].owner_organization_id")
      << response.rows(3).error();
}

// A CSV row with a latitude and an empty longitude (the CLI names only the latitude in the row's
// fields) is refused for the missing coordinate when the resource has no point yet: it was
// created at longitude 0, off the coast of Ghana. A resource that has a point may move one
// coordinate.
TEST_F(RegistryApiTest, AnImportRowWithOneCoordinateNeedsAPointToChange) {
  Resource placed;
  ASSERT_TRUE(Create(acme_, Lab("Lab in Goes", 51.50, 3.89), &placed).ok());

  ImportResourcesRequest request;
  auto add = [&](Resource row, const std::string& path) {
    row.clear_staff();
    row.mutable_location()->clear_region();
    *request.add_resources() = row;
    auto* fields = request.add_row_fields();
    fields->add_paths("display_name");
    fields->add_paths(path);
  };
  Resource fresh = Lab("Nieuw Lab Vlissingen", 51.44, 0);
  fresh.clear_id();
  add(fresh, "location.point.latitude");
  Resource only_longitude = Lab("Nieuw Lab Terneuzen", 0, 3.83);
  add(only_longitude, "location.point.longitude");
  Resource moved = placed;
  moved.mutable_location()->mutable_point()->set_latitude(51.51);
  moved.mutable_location()->mutable_point()->set_longitude(0);
  add(moved, "location.point.latitude");
  ImportResourcesResponse response;
  ASSERT_TRUE(registry_->ImportResources(As(acme_).get(), request, &response).ok());
  ASSERT_EQ(response.rows_size(), 3);
  EXPECT_EQ(response.rows(0).field(), "resources[0].location.point.longitude")
      << response.rows(0).error();
  EXPECT_EQ(response.rows(1).field(), "resources[1].location.point.latitude")
      << response.rows(1).error();
  EXPECT_TRUE(response.rows(2).ok()) << response.rows(2).error();
  EXPECT_EQ(response.created(), 0);
  EXPECT_EQ(response.updated(), 1);

  GetResourceRequest get;
  get.set_id(placed.id());
  Resource now;
  ASSERT_TRUE(registry_->GetResource(As(acme_).get(), get, &now).ok());
  EXPECT_DOUBLE_EQ(now.location().point().latitude(), 51.51);
  EXPECT_DOUBLE_EQ(now.location().point().longitude(), 3.89);  // kept
}

// The same for UpdateResource: a mask naming one coordinate of a point the resource does not have
// (a virtual lab, known by its URL only) is refused for the other.
TEST_F(RegistryApiTest, AnUpdateGivingOneCoordinateNeedsAPointToChange) {
  Resource van = Lab("Virtueel Lab Walcheren");
  van.set_mobility(MOBILITY_VIRTUAL);
  van.set_url("https://lab.walcheren.example/");
  van.clear_location();
  Resource created;
  auto made = Create(acme_, van, &created);
  ASSERT_TRUE(made.ok()) << made.error_message();
  ASSERT_FALSE(created.location().has_point());
  UpdateResourceRequest update;
  update.mutable_resource()->set_id(created.id());
  update.mutable_resource()->mutable_location()->mutable_point()->set_latitude(51.45);
  update.mutable_update_mask()->add_paths("location.point.latitude");
  Resource updated;
  EXPECT_EQ(BadField(registry_->UpdateResource(As(acme_).get(), update, &updated)),
            "resource.location.point.longitude");
  update.mutable_resource()->mutable_location()->mutable_point()->set_longitude(3.57);
  update.mutable_update_mask()->add_paths("location.point.longitude");
  auto both = registry_->UpdateResource(As(acme_).get(), update, &updated);
  ASSERT_TRUE(both.ok()) << both.error_message();
  EXPECT_DOUBLE_EQ(updated.location().point().longitude(), 3.57);
}

TEST_F(RegistryApiTest, CoverageShowsWhiteSpotsAndOverlapFindsNearbyDuplicates) {
  CreateOrg("rival", ORGANIZATION_KIND_VOCATIONAL_SCHOOL, false);
  std::string rival = server_->Token("rival", {auth::v1::ROLE_MEMBER});
  Resource mine, theirs, out;
  Resource a = Lab("Water Lab Zeeland", 51.50, 3.61);
  a.clear_themes();
  a.add_themes(THEME_WATER);
  a.mutable_location()->mutable_region()->set_province("PV29");
  ASSERT_TRUE(Create(acme_, a, &mine).ok());
  Resource b = a;
  b.set_display_name("Another Water Lab");
  b.set_owner_organization_id("rival");
  b.clear_shared_with_network_ids();
  b.mutable_location()->mutable_point()->set_latitude(51.52);
  ASSERT_TRUE(Create(rival, b, &theirs).ok());

  OverlapReportRequest overlap;
  overlap.set_within_km(10);
  OverlapReportResponse overlaps;
  ASSERT_TRUE(registry_->OverlapReport(As(school_).get(), overlap, &overlaps).ok());
  bool found = false;
  for (const auto& c : overlaps.candidates())
    found = found || ((c.resource_id_a() == mine.id() && c.resource_id_b() == theirs.id()) ||
                      (c.resource_id_a() == theirs.id() && c.resource_id_b() == mine.id()));
  EXPECT_TRUE(found);

  CoverageReportRequest coverage;
  coverage.add_themes(THEME_WATER);
  coverage.add_themes(THEME_MARITIME);
  CoverageReportResponse report;
  ASSERT_TRUE(registry_->CoverageReport(As(school_).get(), coverage, &report).ok());
  bool water_in_zeeland = false, maritime_spot_in_zeeland = false, water_spot_in_zeeland = false;
  for (const auto& c : report.cells())
    water_in_zeeland = water_in_zeeland || (c.region_code() == "PV29" && c.theme() == THEME_WATER);
  for (const auto& w : report.white_spots()) {
    maritime_spot_in_zeeland =
        maritime_spot_in_zeeland || (w.region_code() == "PV29" && w.theme() == THEME_MARITIME);
    water_spot_in_zeeland =
        water_spot_in_zeeland || (w.region_code() == "PV29" && w.theme() == THEME_WATER);
  }
  EXPECT_TRUE(water_in_zeeland);
  EXPECT_TRUE(maritime_spot_in_zeeland);
  EXPECT_FALSE(water_spot_in_zeeland);
}

TEST_F(RegistryApiTest, TokensAreCreatedListedAndRevoked) {
  auto tokens = server_->Tokens();
  auth::v1::CreateTokenRequest request;
  request.set_organization_id("acme");
  request.add_roles(auth::v1::ROLE_MEMBER);
  request.set_description("ERP sync");
  auth::v1::CreateTokenResponse created;
  ASSERT_TRUE(tokens->CreateToken(As(acme_admin_).get(), request, &created).ok());
  EXPECT_EQ(created.token().rfind("ist_", 0), 0u);

  auth::v1::TokenInfo me;
  ASSERT_TRUE(tokens->WhoAmI(As(created.token()).get(), {}, &me).ok());
  EXPECT_EQ(me.organization_id(), "acme");

  request.clear_roles();
  request.add_roles(auth::v1::ROLE_PLATFORM_ADMIN);
  EXPECT_EQ(tokens->CreateToken(As(acme_admin_).get(), request, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.set_organization_id("school");
  request.clear_roles();
  request.add_roles(auth::v1::ROLE_MEMBER);
  EXPECT_EQ(tokens->CreateToken(As(acme_admin_).get(), request, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Networks on a token are a coordinator's: on any other token they would mean nothing.
  request.set_organization_id("acme");
  request.add_network_ids("some-network");
  EXPECT_EQ(tokens->CreateToken(As(acme_admin_).get(), request, &created).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A coordinator of a network that does not exist is refused, as a token of an organisation
  // that does not exist is; of one that does, made.
  auth::v1::CreateTokenRequest coordinator;
  coordinator.set_organization_id("acme");
  coordinator.add_roles(auth::v1::ROLE_NETWORK_COORDINATOR);
  coordinator.add_network_ids("tech");
  coordinator.add_network_ids("no-such-network");
  auth::v1::CreateTokenResponse coordinates;
  const auto unknown = tokens->CreateToken(Admin().get(), coordinator, &coordinates);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND) << unknown.error_message();
  EXPECT_TRUE(absl::StrContains(unknown.error_message(), "no-such-network"))
      << unknown.error_message();
  coordinator.mutable_network_ids()->RemoveLast();
  EXPECT_TRUE(tokens->CreateToken(Admin().get(), coordinator, &coordinates).ok());
  request.clear_network_ids();

  auth::v1::ListTokensRequest list;
  auth::v1::ListTokensResponse listed;
  ASSERT_TRUE(tokens->ListTokens(As(acme_admin_).get(), list, &listed).ok());
  bool found = false;
  for (const auto& t : listed.tokens()) {
    EXPECT_EQ(t.organization_id(), "acme");
    found = found || t.id() == me.id();
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(tokens
                ->ListTokens(
                    As(outsider_).get(),
                    [] {
                      auth::v1::ListTokensRequest r;
                      r.set_organization_id("acme");
                      return r;
                    }(),
                    &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  auth::v1::RevokeTokenRequest revoke;
  revoke.set_id(me.id());
  auth::v1::RevokeTokenResponse revoked;
  EXPECT_EQ(tokens->RevokeToken(As(outsider_).get(), revoke, &revoked).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(tokens->RevokeToken(As(acme_admin_).get(), revoke, &revoked).ok());
  EXPECT_EQ(tokens->WhoAmI(As(created.token()).get(), {}, &me).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RegistryApiTest, DeletingAnOrganisationRevokesItsTokensAndItsIdIsNeverReused) {
  CreateOrg("opgeheven-bv", ORGANIZATION_KIND_COMPANY, true);
  const std::string token = server_->Token("opgeheven-bv", {auth::v1::ROLE_ORGANIZATION_ADMIN});
  auto tokens = server_->Tokens();
  auth::v1::TokenInfo me;
  ASSERT_TRUE(tokens->WhoAmI(As(token).get(), {}, &me).ok());
  DeleteOrganizationRequest remove;
  remove.set_id("opgeheven-bv");
  DeleteResponse deleted;
  ASSERT_TRUE(registry_->DeleteOrganization(Admin().get(), remove, &deleted).ok());
  EXPECT_EQ(tokens->WhoAmI(As(token).get(), {}, &me).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  CreateOrganizationRequest again;
  again.set_organization_id("opgeheven-bv");
  again.mutable_organization()->set_display_name("Opgeheven B.V. (nieuw)");
  again.mutable_organization()->set_kind(ORGANIZATION_KIND_COMPANY);
  Organization created;
  const auto status = registry_->CreateOrganization(Admin().get(), again, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(Reason(status), "ID_RETIRED");
  EXPECT_EQ(tokens->WhoAmI(As(token).get(), {}, &me).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RegistryApiTest, OnlyPlatformAdminsAndNetworkCoordinatorsSetTheSmeFlag) {
  GetOrganizationRequest get;
  get.set_id("acme");
  Organization acme;
  ASSERT_TRUE(registry_->GetOrganization(As(acme_admin_).get(), get, &acme).ok());
  UpdateOrganizationRequest update;
  update.mutable_organization()->set_id("acme");
  update.mutable_organization()->set_sme(!acme.sme());
  update.mutable_update_mask()->add_paths("sme");
  Organization out;
  EXPECT_EQ(registry_->UpdateOrganization(As(acme_admin_).get(), update, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The coordinator of a network acme belongs to may, and the flag changes.
  auto status = registry_->UpdateOrganization(As(coordinator_).get(), update, &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(out.sme(), acme.sme());
  update.mutable_organization()->set_sme(acme.sme());
  ASSERT_TRUE(registry_->UpdateOrganization(Admin().get(), update, &out).ok());
  EXPECT_EQ(out.sme(), acme.sme());
  // The organisation's own admin still changes everything else.
  UpdateOrganizationRequest rename;
  rename.mutable_organization()->set_id("acme");
  rename.mutable_organization()->set_display_name("Acme Techniek B.V.");
  rename.mutable_update_mask()->add_paths("display_name");
  EXPECT_TRUE(registry_->UpdateOrganization(As(acme_admin_).get(), rename, &out).ok());
  rename.mutable_organization()->set_display_name("Acme door de coördinator");
  EXPECT_EQ(registry_->UpdateOrganization(As(coordinator_).get(), rename, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RegistryApiTest, AParentResourceMustBelongToTheSameOwner) {
  Resource parent;
  ASSERT_TRUE(Create(acme_, Lab("Campus Zwolle"), &parent).ok());
  Resource child = Lab("Kantoor van een ander");
  child.set_owner_organization_id("outsider");
  child.clear_shared_with_network_ids();
  child.set_parent_resource_id(parent.id());
  Resource out;
  const auto foreign = Create(outsider_, child, &out);
  EXPECT_EQ(foreign.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << foreign.error_message();
  EXPECT_EQ(BadField(foreign), "resource.parent_resource_id");
  Resource own = Lab("Werkplaats op de campus");
  own.set_parent_resource_id(parent.id());
  EXPECT_TRUE(Create(acme_, own, &out).ok());
}

TEST_F(RegistryApiTest, OversizedInputIsRefusedNamingTheFieldBeforeAnyHandlerRuns) {
  GetResourceRequest get;
  get.set_id(std::string(10 * 1024, 'x'));
  Resource out;
  const auto long_id = registry_->GetResource(As(acme_).get(), get, &out);
  EXPECT_EQ(long_id.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << long_id.error_message();
  EXPECT_EQ(BadField(long_id), "id");
  EXPECT_LT(long_id.error_message().size(), 200u);
  Resource lab = Lab("Lab met een lange postcode");
  lab.mutable_location()->mutable_address()->set_postal_code(std::string(1 << 20, '1'));
  const auto postal = Create(acme_, lab, &out, "lange-postcode");
  EXPECT_EQ(postal.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(postal), "resource.location.address.postal_code");
  // 200 characters of Dutch (400 bytes) is a name; 201 is not, and the message counts characters.
  std::string name;
  for (int i = 0; i < 200; ++i) name += "é";
  EXPECT_TRUE(Create(acme_, Lab(name), &out).ok());
  const auto too_long = Create(acme_, Lab(name + "e"), &out);
  EXPECT_EQ(BadField(too_long), "resource.display_name");
  EXPECT_NE(too_long.error_message().find("200 characters"), std::string::npos);
  // Without a valid token the caller learns nothing about its input.
  EXPECT_EQ(registry_->GetResource(As("garbage").get(), get, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RegistryApiTest, HealthReportsEachService) {
  auto health = grpc::health::v1::Health::NewStub(server_->channel());
  for (std::string name :
       {"", "infrashare.registry.v1.RegistryService", "infrashare.auth.v1.TokenService"}) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(name);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status;
    for (int i = 0; i < 50; ++i) {  // the first health probe runs right after start
      grpc::ClientContext context;
      status = health->Check(&context, request, &response);
      if (status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(status.ok()) << name;
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << name;
  }
}

}  // namespace
}  // namespace infrashare::testing
