// infrashare.privacy.v1.PrivacyService: everything held about one person, found by e-mail
// address, and its erasure — the asker's contacts at the desk and the staff, organisation contacts
// and network coordinators in the registry, registrations for events, e-mails waiting to be sent
// and e-mail preferences (docs/privacy.md). It reads the registry's search index,
// so it runs beside the registry.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "infrashare/privacy/v1/privacy.grpc.pb.h"
#include "services/common/rpc_gate.h"
#include "services/common/service_module.h"
#include "services/desk/desk_store.h"
#include "services/programme/programme_store.h"
#include "services/registry/registry_service.h"
#include "services/scheduler/booking_store.h"

namespace infrashare::privacy {

// What the e-mail queue holds of one address (services/webhook), which this library does not link.
struct MailRecords {
  // Drops the e-mails to the address still waiting to be sent, the webhook deliveries not yet
  // delivered that name it, and its preferences; returns how many of each.
  struct Erased {
    int emails = 0;
    int webhook_deliveries = 0;
  };
  std::function<absl::StatusOr<Erased>(const std::string& address)> erase;
  // The preferences kept for the address; nullopt when none are.
  std::function<absl::StatusOr<std::optional<v1::EmailPreferences>>(const std::string& address)>
      preferences;
};

class PrivacyServiceImpl final : public v1::PrivacyService::CallbackService {
 public:
  PrivacyServiceImpl(registry::Registry* registry, desk::DeskStore* desk,
                     programme::ProgrammeStore* programme, scheduler::BookingStore* bookings,
                     MailRecords mail, RpcGate* gate)
      : registry_(registry),
        desk_(desk),
        programme_(programme),
        bookings_(bookings),
        mail_(std::move(mail)),
        gate_(gate) {}

  grpc::ServerUnaryReactor* ExportPersonalData(grpc::CallbackServerContext* context,
                                               const v1::ExportPersonalDataRequest* request,
                                               v1::PersonalData* response) override;
  grpc::ServerUnaryReactor* ErasePersonalData(grpc::CallbackServerContext* context,
                                              const v1::ErasePersonalDataRequest* request,
                                              v1::ErasePersonalDataResponse* response) override;

  absl::StatusOr<v1::PersonalData> Export(const Caller& caller,
                                          const v1::ExportPersonalDataRequest& request);
  absl::StatusOr<v1::ErasePersonalDataResponse> Erase(const Caller& caller,
                                                      const v1::ErasePersonalDataRequest& request);

 private:
  registry::Registry* registry_;
  desk::DeskStore* desk_;
  programme::ProgrammeStore* programme_;
  scheduler::BookingStore* bookings_;  // bookers' addresses (contact_email)
  MailRecords mail_;
  RpcGate* gate_;
};

class PrivacyModule final : public ServiceModule {
 public:
  // `registry` serves beside it: ready when the registry's search index is loaded.
  // `bookings`: the booking ledger the registry reads too (its functions loaded).
  PrivacyModule(RedisPool* redis, RpcGate* gate, registry::RegistryModule* registry,
                const DeskConfig& desk, scheduler::BookingStore* bookings, MailRecords mail)
      : registry_(registry),
        desk_(redis, desk),
        programme_(redis, desk.request_id_ttl_s),
        service_(registry->registry(), &desk_, &programme_, bookings, std::move(mail), gate) {}
  std::string name() const override { return "infrashare.privacy.v1.PrivacyService"; }
  grpc::Service* service() override { return &service_; }
  bool ready() const override { return registry_->ready(); }

 private:
  const registry::RegistryModule* registry_;
  desk::RedisDeskStore desk_;
  programme::RedisProgrammeStore programme_;
  PrivacyServiceImpl service_;
};

}  // namespace infrashare::privacy
