#include "services/programme/programme_service.h"

#include "services/common/clock.h"

namespace infrashare::programme {

#define INFRASHARE_HANDLER(Method, Request, Response, Call)                                       \
  grpc::ServerUnaryReactor* ProgrammeServiceImpl::Method(                                         \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Response* response) { \
    return gate_->UnaryOnWorker(                                                                  \
        context, "programme." #Method, *request,                                                  \
        [this, request, response](const Caller& caller) { return Respond(Call, response); },      \
        response);                                                                                \
  }

INFRASHARE_HANDLER(CreateEvent, CreateEventRequest, Event,
                   programme_->CreateEvent(caller, *request))
INFRASHARE_HANDLER(GetEvent, GetEventRequest, Event, programme_->GetEvent(caller, request->id()))
INFRASHARE_HANDLER(UpdateEvent, UpdateEventRequest, Event,
                   programme_->UpdateEvent(caller, *request))
INFRASHARE_HANDLER(CancelEvent, CancelEventRequest, Event,
                   programme_->CancelEvent(caller, *request))
INFRASHARE_HANDLER(ListEvents, ListEventsRequest, ListEventsResponse,
                   programme_->ListEvents(caller, *request))
INFRASHARE_HANDLER(Register, RegisterRequest, Registration, programme_->Register(caller, *request))
INFRASHARE_HANDLER(CancelRegistration, CancelRegistrationRequest, Registration,
                   programme_->CancelRegistration(caller, *request))
INFRASHARE_HANDLER(ListRegistrations, ListRegistrationsRequest, ListRegistrationsResponse,
                   programme_->ListRegistrations(caller, *request))
INFRASHARE_HANDLER(RecordAttendance, RecordAttendanceRequest, Registration,
                   programme_->RecordAttendance(caller, *request))
INFRASHARE_HANDLER(ExportProgrammeCalendar, ExportProgrammeCalendarRequest,
                   ExportProgrammeCalendarResponse, programme_->ExportCalendar(caller, *request))
#undef INFRASHARE_HANDLER

ProgrammeModule::ProgrammeModule(RedisPool* redis, RpcGate* gate, const Config& config,
                                 registry::RegistryReadModel* registry)
    : registry_(registry),
      store_(redis, config.scheduler.request_id_ttl_s),
      bookings_(redis, config.scheduler),
      scheduler_(&bookings_, registry, config.scheduler, NowMs),
      programme_(&store_, registry, &scheduler_, NowMs),
      service_(&programme_, gate) {}

}  // namespace infrashare::programme
