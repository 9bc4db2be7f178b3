// SearchIndex::Search in process, without gRPC: the per-query cost of the three query shapes of
// issue #2 on the registry benchmark's data (bench/search_data.h), to tell search work from
// transport. Usage: search_index_bench [resources] [queries per shape] [shape 0-2, default all]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "bench/search_data.h"
#include "services/registry/search_index.h"

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  const int resources = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int queries = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int only = argc > 3 ? std::atoi(argv[3]) : -1;
  std::mt19937 rng(7);
  infrashare::registry::SearchIndex index;
  for (int i = 0; i < resources; ++i) {
    auto r = infrashare::bench::RandomResource(rng, i, 1000);
    r.set_etag("1");
    index.Upsert(r);
  }
  const char* names[] = {"two facets (theme + province)", "25 km radius + kind + theme",
                         "text prefix + kind"};
  std::printf("%d resources, %d queries per shape, one thread\n", resources, queries);
  for (int shape = 0; shape < 3; ++shape) {
    if (only >= 0 && shape != only) continue;
    std::vector<double> us;
    long long hits = 0;
    for (int q = 0; q < queries; ++q) {
      const auto request = infrashare::bench::Query(rng, shape);
      const auto start = Clock::now();
      auto response = index.Search(request, {});
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      if (!response.ok()) return 1;
      hits += response->total_size();
    }
    std::sort(us.begin(), us.end());
    double sum = 0;
    for (double u : us) sum += u;
    std::printf("  %-32s mean %7.1f us  p50 %7.1f us  p99 %7.1f us  mean hits %lld\n", names[shape],
                sum / queries, us[us.size() / 2], us[us.size() * 99 / 100], hits / queries);
  }
  return 0;
}
