// infrashare-server --config FILE [--services=registry,...] | --print-limits | --version
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "absl/synchronization/mutex.h"
#include "infrashare/auth/v1/auth.grpc.pb.h"
#include "infrashare/desk/v1/desk.grpc.pb.h"
#include "infrashare/registry/v1/registry.grpc.pb.h"
#include "infrashare/scheduler/v1/scheduler.grpc.pb.h"
#include "services/common/build_info.h"
#include "services/common/config.h"
#include "services/common/logging.h"
#include "services/common/request_limits.h"
#include "services/server/server.h"

namespace {

volatile std::sig_atomic_t stop_signal = 0;
void OnSignal(int signal) { stop_signal = signal; }

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built with assertions, which turns on absl::Mutex deadlock detection: a
  // global graph updated on every lock of every mutex (gRPC's included). Our lock order is fixed
  // by design; the detection costs a few percent of every call (docs/BENCHMARKS.md).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"infrashare-server: registry, scheduler and desk over gRPC"};
  app.set_version_flag("--version", infrashare::VersionLine("infrashare-server"),
                       "print the version and git commit, and exit");
  std::string config_path;
  std::string services_list = "all";
  app.add_option("--config", config_path, "YAML configuration file (see config/infrashare.yaml)");
  app.add_option("--services", services_list, "comma-separated services to run, or 'all'")
      ->capture_default_str();
  bool print_limits = false;
  app.add_flag("--print-limits", print_limits,
               "print docs/limits.md (every request field's bound) and exit");
  CLI11_PARSE(app, argc, argv);
  if (print_limits) {
    std::vector<const google::protobuf::ServiceDescriptor*> services;
    for (const auto& name : infrashare::PublicServiceNames())
      services.push_back(
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name));
    std::cout << infrashare::LimitsMarkdown(services,
                                            infrashare::RequestLimitsFor(infrashare::Config{}));
    return 0;
  }

  auto config = infrashare::LoadConfig(config_path);
  if (!config.ok()) {
    std::cerr << "infrashare-server: " << config.status().message() << "\n";
    return 2;
  }
  auto services = infrashare::ParseServices(services_list);
  if (!services.ok()) {
    std::cerr << "infrashare-server: " << services.status().message() << "\n";
    return 2;
  }
  infrashare::logging::Init(config->log);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);

  auto server = infrashare::InfrashareServer::Start(*config, *services);
  if (!server.ok()) {
    std::cerr << "infrashare-server: " << server.status().message() << "\n";
    return 1;
  }
  while (stop_signal == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  infrashare::logging::Info("signal received; draining",
                            {{"signal", std::to_string(static_cast<int>(stop_signal))}});
  (*server)->Shutdown(std::chrono::milliseconds(config->grpc.drain_timeout_ms));
  return 0;
}
