// infrashare.programme.v1.ProgrammeService: the gRPC shell around Programme, wired as one service
// module over the process's registry read model. Events at a resource are booked through a
// Scheduler of its own over the same booking store (stateless: the booking functions in Redis
// decide), so the programme runs with or without the scheduler module in the same process.
#pragma once

#include <string>

#include "infrashare/programme/v1/programme.grpc.pb.h"
#include "services/common/config.h"
#include "services/common/rpc_gate.h"
#include "services/common/service_module.h"
#include "services/programme/programme.h"
#include "services/programme/programme_store.h"
#include "services/registry/read_model.h"
#include "services/scheduler/booking_store.h"
#include "services/scheduler/scheduler.h"

namespace infrashare::programme {

class ProgrammeServiceImpl final : public v1::ProgrammeService::CallbackService {
 public:
  ProgrammeServiceImpl(Programme* programme, RpcGate* gate) : programme_(programme), gate_(gate) {}

#define INFRASHARE_UNARY(Method, Request, Response)                      \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Request* request, v1::Response* response) override;
  INFRASHARE_UNARY(CreateEvent, CreateEventRequest, Event)
  INFRASHARE_UNARY(GetEvent, GetEventRequest, Event)
  INFRASHARE_UNARY(UpdateEvent, UpdateEventRequest, Event)
  INFRASHARE_UNARY(CancelEvent, CancelEventRequest, Event)
  INFRASHARE_UNARY(ListEvents, ListEventsRequest, ListEventsResponse)
  INFRASHARE_UNARY(Register, RegisterRequest, Registration)
  INFRASHARE_UNARY(CancelRegistration, CancelRegistrationRequest, Registration)
  INFRASHARE_UNARY(ListRegistrations, ListRegistrationsRequest, ListRegistrationsResponse)
  INFRASHARE_UNARY(RecordAttendance, RecordAttendanceRequest, Registration)
  INFRASHARE_UNARY(ExportProgrammeCalendar, ExportProgrammeCalendarRequest,
                   ExportProgrammeCalendarResponse)
#undef INFRASHARE_UNARY

 private:
  Programme* programme_;
  RpcGate* gate_;
};

class ProgrammeModule final : public ServiceModule {
 public:
  // `registry` is the process's registry read model (the server builds it and runs its follower).
  ProgrammeModule(RedisPool* redis, RpcGate* gate, const Config& config,
                  registry::RegistryReadModel* registry);
  std::string name() const override { return "infrashare.programme.v1.ProgrammeService"; }
  grpc::Service* service() override { return &service_; }
  bool ready() const override { return registry_->ready(); }

 private:
  const registry::RegistryReadModel* registry_;
  RedisProgrammeStore store_;
  scheduler::RedisBookingStore bookings_;
  scheduler::Scheduler scheduler_;
  Programme programme_;
  ProgrammeServiceImpl service_;
};

}  // namespace infrashare::programme
