// An in-memory read model of the registry's resources for search and reports. Every replica keeps
// one, loaded from Redis at start and kept current from the registry change log (RegistryFollower),
// so a search costs no Redis round trip. Facets are bitmaps over document slots, words are a sorted
// map for prefix lookups, and points sit in a 0.1-degree grid for radius and box queries.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infrashare/registry/v1/registry.pb.h"

namespace infrashare::registry {

struct SearchLimits {
  int default_page_size = 50;
  int max_page_size = 500;
};

// A slot in a grid cell with its point, so a radius or box query reads only the cell's list.
struct PlacedSlot {
  uint32_t slot = 0;
  double lat = 0, lon = 0;
};

// When Search switches strategy; the defaults are measured (bench/search_index_bench). Tests set
// them to drive every path on small data.
struct SearchTuning {
  // From this many matches on, facets are counted by popcount over each value's slots (about 50
  // bitmaps) rather than match by match.
  size_t count_by_bitmaps = 2048;
  // A query matching at least 1/walk_share of all documents takes its page by walking the result
  // order: about page size x walk_share steps at most.
  size_t walk_share = 16;
};

class SearchIndex {
 public:
  explicit SearchIndex(SearchTuning tuning = {});
  ~SearchIndex();
  SearchIndex(const SearchIndex&) = delete;
  SearchIndex& operator=(const SearchIndex&) = delete;
  // Indexes alive in this process (a server holds one: docs/DECISIONS.md "One registry read model
  // per process").
  static int Instances();

  // Adds or replaces a resource. A change older than what the index holds (by etag) is ignored:
  // a replica applies its own writes at once and the same change again, later, from the change
  // log. Because the log is applied in order, the index converges to Redis' state.
  void Upsert(const v1::Resource& resource);
  void Remove(absl::string_view id);
  // The indexed resource with this id; nullptr when none.
  std::shared_ptr<const v1::Resource> Get(absl::string_view id) const;

  // `only`, when given, restricts the matches (and so the facets) to these resource ids.
  absl::StatusOr<v1::SearchResourcesResponse> Search(
      const v1::SearchResourcesRequest& request, const SearchLimits& limits,
      const std::set<std::string>* only = nullptr) const;
  // Visits every indexed resource under a shared lock.
  void ForEach(const std::function<void(const v1::Resource&)>& visit) const;
  // Pairs of resources within `km` of each other (each pair once), for the overlap report.
  void ForEachNearbyPair(
      double km,
      const std::function<void(const v1::Resource&, const v1::Resource&, double)>& visit) const;
  size_t size() const;

  // Lower-case words of a text, as indexed and as matched.
  static std::vector<std::string> Words(absl::string_view text);

 private:
  using Bitmap = std::vector<uint64_t>;
  struct Doc {
    std::shared_ptr<const v1::Resource> resource;
    long long version = 0;
    std::string name_key;  // lower-case name, for sorting
    bool has_point = false;
    double lat = 0, lon = 0;
    int64_t cell = 0;
    std::vector<std::string> facets;
    std::vector<std::string> words;
  };

  // What a search touches for every match, packed densely by slot so the match loop walks memory
  // in order instead of chasing each document.
  struct Compact {
    uint64_t name_prefix = 0;  // first 8 bytes of name_key, big-endian: orders like the string
    uint32_t themes = 0;       // bit per theme value
    uint16_t province = 0;     // index into provinces_, 0 = none
    uint8_t kind = 0, mobility = 0, terms = 0, lifecycle = 0;
  };

  static std::vector<std::string> FacetKeys(const v1::Resource& r);
  static int64_t CellOf(double lat, double lon);
  void Unlink(uint32_t slot);
  void Link(uint32_t slot);
  static void SetBit(Bitmap& b, uint32_t slot);
  static void ClearBit(Bitmap& b, uint32_t slot);
  const Bitmap* Facet(const std::string& key) const;
  Bitmap WordsWithPrefix(absl::string_view prefix) const;
  Bitmap Candidates(const v1::SearchResourcesRequest& request,
                    const std::set<std::string>* only) const;
  class Run;  // one search: matching, ranking, paging and facet counts (search_index.cc)

  const SearchTuning tuning_;
  mutable std::shared_mutex mutex_;
  std::vector<Doc> docs_;         // by slot; a free slot has no resource
  std::vector<Compact> compact_;  // by slot
  std::vector<std::string> provinces_ = {""};
  std::vector<uint32_t> free_slots_;
  std::unordered_map<std::string, uint32_t> slot_of_;
  Bitmap live_;
  std::unordered_map<std::string, Bitmap> facets_;
  // Per facet value, the slots that have it (as compact_ says): a large match set's facets are
  // counted by popcount over these instead of match by match.
  struct ValueBitmaps {
    std::array<Bitmap, 64> kind, mobility, theme, terms, lifecycle;
    std::vector<Bitmap> province;  // by index into provinces_
  };
  ValueBitmaps values_;
  // The value bitmaps a document with these values is in (growing the province list as needed).
  std::vector<Bitmap*> ValueBitmapsOf(const Compact& c);
  // A word's slots, sorted; a common word (kDenseWord slots or more) also as a bitmap, so a
  // prefix query ORs words instead of setting their bits one by one.
  struct WordSlots {
    std::vector<uint32_t> slots;
    Bitmap bits;  // empty until the word is common
  };
  std::map<std::string, WordSlots, std::less<>> words_;
  // Every live slot in result order (name, then id): a query matching a large share of the
  // documents takes its page by walking this from the cursor instead of ranking every match.
  struct Named {
    uint64_t prefix;  // Compact::name_prefix, compared first
    std::string name, id;
    uint32_t slot;
    bool operator<(const Named& o) const {
      if (prefix != o.prefix) return prefix < o.prefix;
      if (name != o.name) return name < o.name;
      return id < o.id;
    }
  };
  std::set<Named> by_name_;
  std::unordered_map<int64_t, std::vector<PlacedSlot>> grid_;  // cell -> slots by slot
};

// Version number of an etag ("7" -> 7); 0 when absent.
long long EtagVersion(absl::string_view etag);

}  // namespace infrashare::registry
