// Labs within 25 km of Zwolle, and the earliest free 4-hour slot of each in the two weeks from
// FROM (an RFC 3339 time, default now). The server and token come from INFRASHARE_SERVER and
// INFRASHARE_TOKEN, as for the `infrashare` CLI.
#include <google/protobuf/util/time_util.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "infrashare_client/client.h"

namespace registry = infrashare::registry::v1;
namespace scheduler = infrashare::scheduler::v1;
using google::protobuf::util::TimeUtil;

int Fail(const grpc::Status& status) {
  std::fprintf(stderr, "find_slots: %s\n", infrashare::client::DescribeError(status).c_str());
  return 1;
}

int main(int argc, char** argv) {
  infrashare::client::ClientOptions options;
  if (const char* server = std::getenv("INFRASHARE_SERVER")) options.server = server;
  if (const char* token = std::getenv("INFRASHARE_TOKEN")) options.token = token;
  infrashare::client::Client client(options);

  google::protobuf::Timestamp from = TimeUtil::SecondsToTimestamp(std::time(nullptr));
  if (argc > 1 && !TimeUtil::FromString(argv[1], &from)) {
    std::fprintf(stderr, "usage: find_slots [FROM, e.g. 2027-03-01T00:00:00Z]\n");
    return 2;
  }

  registry::SearchResourcesRequest labs;
  labs.add_kinds(registry::RESOURCE_KIND_LAB);
  labs.mutable_within()->mutable_center()->set_latitude(52.5125);  // Zwolle station
  labs.mutable_within()->mutable_center()->set_longitude(6.0910);
  labs.mutable_within()->set_radius_km(25);
  labs.set_order_by(registry::SEARCH_ORDER_DISTANCE);

  std::printf("Labs within 25 km of Zwolle:\n");
  grpc::Status status =
      client.ForEachPage(client.registry(), &registry::RegistryService::Stub::SearchResources, labs,
                         [](const registry::SearchResourcesResponse& page) {
                           for (const auto& hit : page.hits())
                             std::printf("  %-24s %5.1f km  %s\n", hit.resource().id().c_str(),
                                         hit.distance_km(), hit.resource().display_name().c_str());
                         });
  if (!status.ok()) return Fail(status);

  scheduler::FindSlotsRequest find;
  *find.mutable_search() = labs;
  find.set_duration_minutes(4 * 60);
  *find.mutable_start_time() = from;
  *find.mutable_end_time() = from + TimeUtil::HoursToDuration(14 * 24);
  find.set_earliest_per_resource(true);
  scheduler::FindSlotsResponse found;
  status =
      client.Call(client.scheduler(), &scheduler::SchedulerService::Stub::FindSlots, find, &found);
  if (!status.ok()) return Fail(status);

  std::printf("Earliest free 4 hours per lab from %s:\n", TimeUtil::ToString(from).c_str());
  for (const auto& slot : found.slots())
    std::printf("  %s  %-24s %s\n", TimeUtil::ToString(slot.start_time()).c_str(),
                slot.resource_id().c_str(), slot.display_name().c_str());
  if (found.slots().empty()) std::printf("  none\n");
  return 0;
}
