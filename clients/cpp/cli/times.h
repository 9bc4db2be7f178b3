// Times as people read and write them: in one IANA time zone (--tz), each shown with its offset
// ("2027-03-02 09:00 +01:00"), and read in that zone when typed without one. Programs get RFC 3339
// in UTC, as the API has them.
#pragma once

#include <date/tz.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>

namespace infrashare::cli {

// The zone of the TZ environment variable when the time zone database knows it, else
// Europe/Amsterdam: the default of --tz.
std::string DefaultZoneName();
// The zone of this IANA name; nullptr when unknown.
const date::time_zone* FindZone(const std::string& name);
// Why `name` is no zone, with the nearest zone name when one is a typo away.
std::string UnknownZone(const std::string& name);

// "2027-03-02 09:00 +01:00": the instant in `zone` (with seconds only when it has them).
std::string TimeForPeople(const google::protobuf::Timestamp& time, const date::time_zone* zone);

// An instant as a person types it: RFC 3339 with Z or an offset, or a wall-clock time without one
// in `zone` (2027-03-02T09:00, 2027-03-02 09:00:00, or a date alone for its midnight). A wall-clock
// time a DST change skips is refused; one it repeats is the earlier. Returns what is wrong, or ""
// when *out holds the instant.
std::string ParseInstant(const std::string& text, const date::time_zone* zone,
                         google::protobuf::Timestamp* out);

}  // namespace infrashare::cli
