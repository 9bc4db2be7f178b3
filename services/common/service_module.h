// One gRPC service as the server composes it: its handlers, its background work, its readiness.
#pragma once

#include <grpcpp/impl/codegen/service_type.h>

#include <string>
#include <vector>

#include "services/common/business_gauges.h"

namespace infrashare {

class ServiceModule {
 public:
  virtual ~ServiceModule() = default;
  virtual std::string name() const = 0;  // fully qualified gRPC service name, for health checks
  virtual grpc::Service* service() = 0;
  virtual void Start() {}
  virtual void Stop() {}
  // Ready to serve once Redis is reachable (e.g. caches loaded).
  virtual bool ready() const { return true; }
  // The numbers about its data that operators watch; the server reads them periodically.
  virtual std::vector<BusinessGauge> business_gauges() { return {}; }
};

}  // namespace infrashare
