// The programme's service logic: who may organise, see and register for which event, and what
// each call asks of the programme store and of the scheduler. No gRPC in here; programme_service.cc
// is a thin shell around it.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "infrashare/programme/v1/programme.pb.h"
#include "services/common/auth.h"
#include "services/programme/programme_reader.h"
#include "services/programme/programme_store.h"
#include "services/registry/read_model.h"
#include "services/scheduler/scheduler.h"

namespace infrashare::programme {

class Programme final {
 public:
  using Clock = std::function<EpochMs()>;
  // `scheduler` books the resources of events (the same rules and the same atomic booking
  // function as any partner's booking).
  Programme(ProgrammeStore* store, registry::RegistryReadModel* registry,
            scheduler::Scheduler* scheduler, Clock clock);

  absl::StatusOr<v1::Event> CreateEvent(const Caller& caller,
                                        const v1::CreateEventRequest& request);
  absl::StatusOr<v1::Event> GetEvent(const Caller& caller, const std::string& id);
  absl::StatusOr<v1::Event> UpdateEvent(const Caller& caller,
                                        const v1::UpdateEventRequest& request);
  absl::StatusOr<v1::Event> CancelEvent(const Caller& caller,
                                        const v1::CancelEventRequest& request);
  absl::StatusOr<v1::ListEventsResponse> ListEvents(const Caller& caller,
                                                    const v1::ListEventsRequest& request);
  absl::StatusOr<v1::Registration> Register(const Caller& caller,
                                            const v1::RegisterRequest& request);
  absl::StatusOr<v1::Registration> CancelRegistration(const Caller& caller,
                                                      const v1::CancelRegistrationRequest& request);
  absl::StatusOr<v1::ListRegistrationsResponse> ListRegistrations(
      const Caller& caller, const v1::ListRegistrationsRequest& request);
  absl::StatusOr<v1::Registration> RecordAttendance(const Caller& caller,
                                                    const v1::RecordAttendanceRequest& request);
  absl::StatusOr<v1::ExportProgrammeCalendarResponse> ExportCalendar(
      const Caller& caller, const v1::ExportProgrammeCalendarRequest& request);

 private:
  bool MayOrganise(const Caller& caller, const v1::Event& event) const;
  // The event as the caller may see it: NOT_FOUND when it is not theirs to see.
  absl::StatusOr<v1::Event> Visible(const Caller& caller, const std::string& id);
  absl::StatusOr<v1::Event> Organised(const Caller& caller, const std::string& id);
  // Who organises a new event, or why the caller may not.
  absl::StatusOr<std::string> OrganiserOf(const Caller& caller, v1::Event* event);

  ProgrammeStore* store_;
  registry::RegistryReadModel* registry_;
  scheduler::Scheduler* scheduler_;
  Clock clock_;
};

// The networks whose partners an event is for: its own, else those its resource is shared with.
std::set<std::string> EventNetworks(const registry::RegistryReadModel& registry,
                                    const v1::Event& event);
// Whether the caller sees the event: public, or the organiser, a partner of one of its networks,
// a coordinator of one, the resource's owner, a platform admin (GetEvent, ListEvents, webhook
// deliveries).
bool EventVisibleTo(const registry::RegistryReadModel& registry, const Caller& caller,
                    const v1::Event& event);

}  // namespace infrashare::programme
