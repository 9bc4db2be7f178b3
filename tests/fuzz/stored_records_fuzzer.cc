// Reading stored records back: whatever Redis holds (a record written by an older version, by
// hand, or damaged), the decoders answer with a message or an error. Input: a selector byte, then
//   0 a booking as booking.lua encodes it (JSON)       ParseStoredBooking
//   1 a waitlist entry (JSON)                           ParseStoredEntry
//   2 an inquiry as a desk function returns it (JSON)   InquiryFromJson
//   3 an inquiry history entry (JSON)                   HistoryFromJson
//   4 an inquiry's hash: field, value, field, ... separated by NUL bytes   InquiryFromFields
//   5 registry records as the change log carries them: [kind] [u16 n] [n bytes of protobuf], ...
//     applied to the scheduler's catalogue, then searched and asked for open time
// Every time decoded is a valid Timestamp (nanos 0..999,999,999), so that clients can read it.
#include <google/protobuf/timestamp.pb.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "services/desk/desk_store.h"
#include "services/registry/store.h"
#include "services/scheduler/booking_policy.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/catalog.h"
#include "tests/fuzz/input.h"
#include "tests/fuzz/invariant.h"

namespace {

namespace reg = infrashare::registry;
namespace sch = infrashare::scheduler;
using infrashare::fuzz::Require;

void CheckTime(const google::protobuf::Timestamp& t) {
  Require(t.nanos() >= 0 && t.nanos() <= 999999999, "a decoded time has valid nanos");
}

void CheckBooking(const sch::v1::Booking& b) {
  for (const auto* t :
       {&b.start_time(), &b.end_time(), &b.blocked_start_time(), &b.blocked_end_time(),
        &b.hold_expire_time(), &b.create_time(), &b.update_time()})
    CheckTime(*t);
}

void CheckInquiry(const infrashare::desk::v1::Inquiry& i) {
  for (const auto* t : {&i.offer_deadline(), &i.create_time(), &i.first_accept_time(),
                        &i.resolve_time(), &i.feedback().time()})
    CheckTime(*t);
}

// Records into a catalogue, as a replica applies the registry's change log; then what the
// scheduler does with a catalogued resource.
void ApplyRecords(infrashare::fuzz::Input& in) {
  sch::Catalog catalog(nullptr);  // Upsert and Cached never read the registry
  constexpr absl::string_view kKinds[] = {reg::kOrganizationKind, reg::kNetworkKind,
                                          reg::kResourceKind, reg::kAvailabilityKind};
  for (int n = 0; n < 8 && !in.empty(); ++n) {
    const absl::string_view kind = kKinds[in.Byte() % std::size(kKinds)];
    catalog.Upsert(kind, in.Part());
  }
  const sch::EpochMs from = 1798761600000;  // 2027-01-01T00:00:00Z
  const sch::EpochMs to = from + 8LL * 24 * 60 * 60 * 1000;
  for (const auto& bookable : catalog.Select([](const reg::v1::Resource&) { return true; })) {
    const auto open = sch::OpenTime(bookable, from, to);
    for (size_t i = 0; i < open.size(); ++i) {
      Require(open[i].start < open[i].end && open[i].start >= from && open[i].end <= to,
              "open time lies in the range asked for");
      if (i > 0) Require(open[i - 1].end <= open[i].start, "open time is in order");
    }
    sch::EffectiveCapacity(*bookable.resource);
  }
  reg::v1::SearchResourcesRequest search;
  search.set_text_prefix("lab");
  search.mutable_within()->mutable_center()->set_latitude(52.2);
  search.mutable_within()->mutable_center()->set_longitude(6.9);
  search.mutable_within()->set_radius_km(50);
  (void)catalog.search().Search(search, reg::SearchLimits{});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  infrashare::fuzz::Input in(data, size);
  const uint8_t selector = in.Byte();
  switch (selector % 6) {
    case 0:
      if (auto b = sch::ParseStoredBooking(in.Rest()); b.ok()) CheckBooking(*b);
      break;
    case 1:
      if (auto w = sch::ParseStoredEntry(in.Rest()); w.ok()) {
        CheckTime(w->start_time());
        CheckTime(w->end_time());
        CheckTime(w->create_time());
      }
      break;
    case 2:
      if (auto i = infrashare::desk::InquiryFromJson(in.Rest()); i.ok()) CheckInquiry(*i);
      break;
    case 3:
      CheckTime(infrashare::desk::HistoryFromJson(in.Rest()).time());
      break;
    case 4: {
      const std::string text = in.Rest();
      const std::vector<absl::string_view> flat = absl::StrSplit(text, '\0');
      infrashare::desk::FieldMap fields;
      for (size_t n = 0; n + 1 < flat.size(); n += 2)
        fields[std::string(flat[n])] = std::string(flat[n + 1]);
      CheckInquiry(infrashare::desk::InquiryFromFields(fields));
      break;
    }
    case 5:
      ApplyRecords(in);
      break;
  }
  return 0;
}
