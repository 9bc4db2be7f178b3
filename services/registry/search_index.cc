#include "services/registry/search_index.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "services/common/errors.h"
#include "services/common/geo.h"
#include "services/common/paging.h"
#include "services/common/regions.h"
#include "services/common/text_fold.h"
#include "services/registry/validation.h"

namespace infrashare::registry {
namespace {

constexpr double kCellDegrees = 0.1;
constexpr size_t kMaxWordsPerDoc = 200;
constexpr double kKmPerDegreeLat = 111.2;
// A word in this many documents is also kept as a bitmap (see WordSlots).
constexpr size_t kDenseWord = 512;

uint32_t SlotOf(uint32_t slot) { return slot; }
uint32_t SlotOf(const PlacedSlot& placed) { return placed.slot; }

// Slot lists kept sorted by slot: the words' lists of slots and the grid cells' placed slots.
template <typename T>
void InsertSorted(std::vector<T>& v, T item) {
  auto it = std::lower_bound(v.begin(), v.end(), SlotOf(item),
                             [](const T& a, uint32_t slot) { return SlotOf(a) < slot; });
  if (it == v.end() || SlotOf(*it) != SlotOf(item)) v.insert(it, item);
}

template <typename T>
void EraseSorted(std::vector<T>& v, uint32_t slot) {
  auto it = std::lower_bound(v.begin(), v.end(), slot,
                             [](const T& a, uint32_t s) { return SlotOf(a) < s; });
  if (it != v.end() && SlotOf(*it) == slot) v.erase(it);
}

// The first 8 bytes of a name key, big-endian and zero-padded: orders like the string itself
// wherever two prefixes differ.
uint64_t NamePrefix(absl::string_view name_key) {
  uint64_t prefix = 0;
  for (size_t i = 0; i < 8; ++i)
    prefix = prefix << 8 | (i < name_key.size() ? static_cast<unsigned char>(name_key[i]) : 0);
  return prefix;
}

// A point off the globe (only a damaged record has one: validation refuses it) counts as none; its
// grid cell would not be a number.
const v1::GeoPoint* OnGlobe(const v1::GeoPoint& p) {
  return p.latitude() >= -90 && p.latitude() <= 90 && p.longitude() >= -180 && p.longitude() <= 180
             ? &p
             : nullptr;
}

const v1::GeoPoint* PointOf(const v1::Resource& r) {
  if (r.location().has_point()) return OnGlobe(r.location().point());
  if (r.home_base().has_point()) return OnGlobe(r.home_base().point());
  return nullptr;
}

// Enum values count in arrays of 64 (Search); one beyond, unknown to this version (a record a
// newer one wrote, or damage), counts as unspecified rather than past the array's end.
uint8_t EnumSlot(int value) { return value >= 0 && value < 64 ? static_cast<uint8_t>(value) : 0; }

const v1::Region& RegionOf(const v1::Resource& r) {
  return r.location().has_region() || !r.has_home_base() ? r.location().region()
                                                         : r.home_base().region();
}

std::string ProvinceOf(const v1::Region& region) {
  return std::string(
      infrashare::ProvinceOf(region.province(), region.corop(), region.municipality()));
}

// Sort key of a hit and the page token that resumes after it.
struct HitKey {
  double distance = 0;
  std::string name;
  std::string id;
  bool name_cut = false;  // `name` holds only the first kTokenNameBytes of the hit's name
};

// A page token is at most 1,024 bytes (the bound every request's page_token is held to): base64
// of the order, distance, name and id (at most 128 bytes) fits that with at most this much of the
// name. A longer name (a display name is up to 1,000 bytes, and folding can lengthen it) goes in
// cut, and the search takes the rest from the hit the id names.
constexpr size_t kTokenNameBytes = 512;

std::string EncodeToken(const HitKey& key, bool by_distance) {
  const bool cut = key.name.size() > kTokenNameBytes;
  // %.17g: the distance must read back exactly, or the next page starts before or after the last
  // hit.
  std::string raw =
      absl::StrCat(by_distance ? "d" : "n", "\x1f", absl::StrFormat("%.17g", key.distance), "\x1f",
                   absl::string_view(key.name).substr(0, kTokenNameBytes), "\x1f", key.id,
                   cut ? "\x1f"
                         "cut"
                       : "");
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<HitKey> DecodeToken(absl::string_view token, bool by_distance) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw))
    return InvalidField("page_token", "is not a token this server issued");
  std::vector<std::string> parts = absl::StrSplit(raw, '\x1f');
  HitKey key;
  if ((parts.size() != 4 && !(parts.size() == 5 && parts[4] == "cut")) ||
      parts[0] != (by_distance ? "d" : "n") || !absl::SimpleAtod(parts[1], &key.distance))
    return InvalidField("page_token", "is not a token for this query order");
  key.name = parts[2];
  key.id = parts[3];
  key.name_cut = parts.size() == 5;
  return key;
}

template <typename Enum, typename NameFn>
void AddFacet(v1::SearchResourcesResponse* response, absl::string_view field,
              const std::map<Enum, int>& counts, NameFn name) {
  if (counts.empty()) return;
  auto* facet = response->add_facets();
  facet->set_field(std::string(field));
  for (const auto& [value, count] : counts) {
    auto* v = facet->add_values();
    v->set_value(name(value));
    v->set_count(count);
  }
}

template <size_t N, typename NameFn>
void AddFacet(v1::SearchResourcesResponse* response, absl::string_view field,
              const std::array<int, N>& counts, NameFn name) {
  std::map<int, int> nonzero;
  for (size_t v = 0; v < N; ++v)
    if (counts[v] > 0) nonzero[static_cast<int>(v)] = counts[v];
  AddFacet(response, field, nonzero, name);
}

}  // namespace

long long EtagVersion(absl::string_view etag) {
  long long v = 0;
  return absl::SimpleAtoi(etag, &v) ? v : 0;
}

std::vector<std::string> SearchIndex::Words(absl::string_view text) {
  return FoldedWords(std::string_view(text.data(), text.size()));
}

std::vector<std::string> SearchIndex::FacetKeys(const v1::Resource& r) {
  std::vector<std::string> keys = {
      absl::StrCat("kind:", r.kind()), absl::StrCat("mob:", r.mobility()),
      absl::StrCat("sme:", r.sme_accessible() ? 1 : 0), absl::StrCat("terms:", r.terms().kind()),
      absl::StrCat("life:", r.lifecycle().state())};
  for (int t : r.themes()) keys.push_back(absl::StrCat("theme:", t));
  for (const auto& n : r.shared_with_network_ids()) keys.push_back(absl::StrCat("net:", n));
  const v1::Region& region = RegionOf(r);
  std::set<std::string> codes;
  if (std::string p = ProvinceOf(region); !p.empty()) codes.insert(p);
  if (auto corop = CoropOf(region.corop(), region.municipality()); !corop.empty())
    codes.insert(std::string(corop));
  if (!region.municipality().empty()) codes.insert(region.municipality());
  for (const auto& c : codes) keys.push_back("region:" + c);
  return keys;
}

int64_t SearchIndex::CellOf(double lat, double lon) {
  int64_t row = static_cast<int64_t>(std::floor(lat / kCellDegrees)) + 1000;
  int64_t col = static_cast<int64_t>(std::floor(lon / kCellDegrees)) + 2000;
  return row * 10000 + col;
}

void SearchIndex::SetBit(Bitmap& b, uint32_t slot) {
  if (b.size() <= slot / 64) b.resize(slot / 64 + 1, 0);
  b[slot / 64] |= uint64_t{1} << (slot % 64);
}

void SearchIndex::ClearBit(Bitmap& b, uint32_t slot) {
  if (b.size() > slot / 64) b[slot / 64] &= ~(uint64_t{1} << (slot % 64));
}

const SearchIndex::Bitmap* SearchIndex::Facet(const std::string& key) const {
  auto it = facets_.find(key);
  return it == facets_.end() ? nullptr : &it->second;
}

std::vector<SearchIndex::Bitmap*> SearchIndex::ValueBitmapsOf(const Compact& c) {
  std::vector<Bitmap*> out = {&values_.kind[c.kind % 64], &values_.mobility[c.mobility % 64],
                              &values_.terms[c.terms % 64], &values_.lifecycle[c.lifecycle % 64]};
  for (uint32_t bits = c.themes; bits != 0; bits &= bits - 1)
    out.push_back(&values_.theme[std::countr_zero(bits)]);
  if (values_.province.size() <= c.province) values_.province.resize(c.province + 1);
  out.push_back(&values_.province[c.province]);
  return out;
}

void SearchIndex::Unlink(uint32_t slot) {
  Doc& d = docs_[slot];
  ClearBit(live_, slot);
  const Compact& c = compact_[slot];
  for (Bitmap* values : ValueBitmapsOf(c)) ClearBit(*values, slot);
  for (const auto& f : d.facets) ClearBit(facets_[f], slot);
  by_name_.erase(Named{c.name_prefix, d.name_key, d.resource->id(), slot});
  for (const auto& w : d.words) {
    auto it = words_.find(w);
    if (it == words_.end()) continue;
    EraseSorted(it->second.slots, slot);
    ClearBit(it->second.bits, slot);
    if (it->second.slots.empty()) words_.erase(it);
  }
  if (d.has_point) EraseSorted(grid_[d.cell], slot);
}

void SearchIndex::Link(uint32_t slot) {
  Doc& d = docs_[slot];
  SetBit(live_, slot);
  const Compact& c = compact_[slot];
  for (Bitmap* values : ValueBitmapsOf(c)) SetBit(*values, slot);
  for (const auto& f : d.facets) SetBit(facets_[f], slot);
  by_name_.insert(Named{c.name_prefix, d.name_key, d.resource->id(), slot});
  for (const auto& w : d.words) {
    WordSlots& word = words_[w];
    InsertSorted(word.slots, slot);
    if (!word.bits.empty()) {
      SetBit(word.bits, slot);
    } else if (word.slots.size() >= kDenseWord) {
      for (uint32_t s : word.slots) SetBit(word.bits, s);
    }
  }
  if (d.has_point) InsertSorted(grid_[d.cell], PlacedSlot{slot, d.lat, d.lon});
}

void SearchIndex::Upsert(const v1::Resource& resource) {
  Doc doc;
  doc.version = EtagVersion(resource.etag());
  doc.resource = std::make_shared<const v1::Resource>(resource);
  doc.name_key = FoldName(resource.display_name());
  if (const v1::GeoPoint* p = PointOf(resource)) {
    doc.has_point = true;
    doc.lat = p->latitude();
    doc.lon = p->longitude();
    doc.cell = CellOf(doc.lat, doc.lon);
  }
  doc.facets = FacetKeys(resource);
  Compact compact;
  compact.name_prefix = NamePrefix(doc.name_key);
  for (int t : resource.themes())
    if (t >= 0 && t < 32) compact.themes |= uint32_t{1} << t;
  compact.kind = EnumSlot(resource.kind());
  compact.mobility = EnumSlot(resource.mobility());
  compact.terms = EnumSlot(resource.terms().kind());
  compact.lifecycle = EnumSlot(resource.lifecycle().state());
  const std::string province = ProvinceOf(RegionOf(resource));
  // At most kMaxWordsPerDoc distinct words: the name's first, then the tags', then the
  // description's in its order, so that a long description never pushes out the name (before, the
  // alphabetically first were kept: "Waterstoflab Zeeland" was not found by its own name).
  std::set<std::string> seen;
  auto add_words = [&](const std::string& text) {
    for (auto& w : Words(text)) {
      if (doc.words.size() >= kMaxWordsPerDoc) return;
      if (seen.insert(w).second) doc.words.push_back(std::move(w));
    }
  };
  add_words(resource.display_name());
  for (const auto& tag : resource.tags()) add_words(tag);
  add_words(resource.description());

  std::unique_lock lock(mutex_);
  auto it = slot_of_.find(resource.id());
  uint32_t slot;
  if (it != slot_of_.end()) {
    slot = it->second;
    if (docs_[slot].version > doc.version) return;
    Unlink(slot);
  } else {
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = static_cast<uint32_t>(docs_.size());
      docs_.emplace_back();
    }
    slot_of_[resource.id()] = slot;
  }
  if (!province.empty()) {
    auto known = std::find(provinces_.begin(), provinces_.end(), province);
    if (known == provinces_.end()) known = provinces_.insert(provinces_.end(), province);
    compact.province = static_cast<uint16_t>(known - provinces_.begin());
  }
  docs_[slot] = std::move(doc);
  if (compact_.size() <= slot) compact_.resize(slot + 1);
  compact_[slot] = compact;
  Link(slot);
}

void SearchIndex::Remove(absl::string_view id) {
  std::unique_lock lock(mutex_);
  auto it = slot_of_.find(std::string(id));
  if (it == slot_of_.end()) return;
  uint32_t slot = it->second;
  Unlink(slot);
  docs_[slot] = Doc();
  free_slots_.push_back(slot);
  slot_of_.erase(it);
}

namespace {
std::atomic<int> search_indexes{0};
}  // namespace

SearchIndex::SearchIndex(SearchTuning tuning) : tuning_(tuning) { ++search_indexes; }

SearchIndex::~SearchIndex() { --search_indexes; }

int SearchIndex::Instances() { return search_indexes; }

std::shared_ptr<const v1::Resource> SearchIndex::Get(absl::string_view id) const {
  std::shared_lock lock(mutex_);
  auto it = slot_of_.find(std::string(id));
  return it == slot_of_.end() ? nullptr : docs_[it->second].resource;
}

size_t SearchIndex::size() const {
  std::shared_lock lock(mutex_);
  return slot_of_.size();
}

void SearchIndex::ForEach(const std::function<void(const v1::Resource&)>& visit) const {
  std::shared_lock lock(mutex_);
  for (const auto& d : docs_)
    if (d.resource) visit(*d.resource);
}

void SearchIndex::ForEachNearbyPair(
    double km,
    const std::function<void(const v1::Resource&, const v1::Resource&, double)>& visit) const {
  std::shared_lock lock(mutex_);
  const int rows = static_cast<int>(std::ceil(km / kKmPerDegreeLat / kCellDegrees));
  for (uint32_t a = 0; a < docs_.size(); ++a) {
    const Doc& da = docs_[a];
    if (!da.resource || !da.has_point) continue;
    const double cos_lat = std::max(0.01, std::cos(da.lat * M_PI / 180));
    const int cols = static_cast<int>(std::ceil(km / (kKmPerDegreeLat * cos_lat) / kCellDegrees));
    for (int dr = -rows; dr <= rows; ++dr)
      for (int dc = -cols; dc <= cols; ++dc) {
        auto cell = grid_.find(da.cell + dr * 10000 + dc);
        if (cell == grid_.end()) continue;
        for (const PlacedSlot& b : cell->second) {
          if (b.slot <= a) continue;
          double d = HaversineKm(da.lat, da.lon, b.lat, b.lon);
          if (d <= km) visit(*da.resource, *docs_[b.slot].resource, d);
        }
      }
  }
}

SearchIndex::Bitmap SearchIndex::WordsWithPrefix(absl::string_view prefix) const {
  Bitmap out(docs_.size() / 64 + 1, 0);  // every slot fits: no bounds checks in the loop
  for (auto it = words_.lower_bound(prefix);
       it != words_.end() && absl::StartsWith(it->first, prefix); ++it) {
    const WordSlots& word = it->second;
    if (!word.bits.empty()) {
      for (size_t w = 0; w < word.bits.size() && w < out.size(); ++w) out[w] |= word.bits[w];
    } else {
      for (uint32_t slot : word.slots) out[slot / 64] |= uint64_t{1} << (slot % 64);
    }
  }
  return out;
}

namespace {

// The latitude and longitude bounds of a search's circle or box.
struct Area {
  double lat_lo = 0, lat_hi = 0, lon_lo = 0, lon_hi = 0;
};

Area AreaOf(const v1::SearchResourcesRequest& request) {
  if (!request.has_within())
    return {request.box().south_west().latitude(), request.box().north_east().latitude(),
            request.box().south_west().longitude(), request.box().north_east().longitude()};
  const auto& c = request.within().center();
  const double dlat = request.within().radius_km() / kKmPerDegreeLat;
  const double dlon = request.within().radius_km() /
                      (kKmPerDegreeLat * std::max(0.01, std::cos(c.latitude() * M_PI / 180)));
  return {c.latitude() - dlat, c.latitude() + dlat, c.longitude() - dlon, c.longitude() + dlon};
}

std::vector<std::string> KeysOf(absl::string_view name, const auto& values) {
  std::vector<std::string> keys;
  for (const auto& v : values) keys.push_back(absl::StrCat(name, ":", v));
  return keys;
}

}  // namespace

// One search under the index's shared lock. Matches stream through it: it counts their facets and
// keeps the best page past the cursor as a max-heap (the worst on top), so a large match set is
// never stored or sorted.
class SearchIndex::Run {
 public:
  // A match is a slot, its distance and the first bytes of its name; full names and ids are
  // compared in place, never copied, and only when those tie.
  struct Match {
    double distance;
    uint64_t name_prefix;
    uint32_t slot;
  };
  // Result order: by distance when asked, then name, then id.
  struct Order {
    const Run* run;
    bool operator()(const Match& a, const Match& b) const {
      if (run->by_distance_ && a.distance != b.distance) return a.distance < b.distance;
      if (a.name_prefix != b.name_prefix) return a.name_prefix < b.name_prefix;
      const Doc& x = run->index_.docs_[a.slot];
      const Doc& y = run->index_.docs_[b.slot];
      if (x.name_key != y.name_key) return x.name_key < y.name_key;
      return x.resource->id() < y.resource->id();
    }
  };

  Run(const SearchIndex& index, const v1::SearchResourcesRequest& request, size_t page,
      std::optional<HitKey> after, Bitmap candidates)
      : index_(index),
        request_(request),
        circle_(request.has_within()),
        by_distance_(request.order_by() == v1::SEARCH_ORDER_DISTANCE),
        by_owner_(!request.owner_organization_id().empty()),
        page_(page),
        after_(std::move(after)),
        after_prefix_(after_ ? NamePrefix(after_->name) : 0),
        candidates_(std::move(candidates)),
        by_province_(index.provinces_.size(), 0) {
    top_.reserve(page_);
  }

  // Finds the matches the cheapest way for the query's shape.
  void Collect() {
    if (circle_ || request_.has_box()) return CollectInArea();
    size_t count = 0;
    for (uint64_t word : candidates_) count += std::popcount(word);
    if (count < index_.tuning_.count_by_bitmaps || by_owner_) return ConsiderAll();
    CountFacetsByBitmaps();
    if (count * index_.tuning_.walk_share >= index_.slot_of_.size()) {
      WalkByName();
    } else {
      for (size_t w = 0; w < candidates_.size(); ++w)
        for (uint64_t bits = candidates_[w]; bits != 0; bits &= bits - 1)
          Offer(static_cast<uint32_t>(w * 64 + std::countr_zero(bits)), 0);
    }
    total_ = count;
  }

  v1::SearchResourcesResponse Response() {
    v1::SearchResourcesResponse response;
    response.set_total_size(static_cast<int>(total_));
    std::sort_heap(top_.begin(), top_.end(), Less());
    for (const Match& m : top_) {
      auto* hit = response.add_hits();
      *hit->mutable_resource() = *index_.docs_[m.slot].resource;
      if (circle_) hit->set_distance_km(m.distance);
    }
    if (past_ > top_.size() && !top_.empty()) {
      const Doc& last = index_.docs_[top_.back().slot];
      response.set_next_page_token(EncodeToken(
          HitKey{top_.back().distance, last.name_key, last.resource->id()}, by_distance_));
    }
    AddFacets(&response);
    return response;
  }

 private:
  Order Less() const { return Order{this}; }

  bool PastCursor(const Match& m) const {
    if (!after_) return true;
    if (by_distance_ && m.distance != after_->distance) return m.distance > after_->distance;
    if (m.name_prefix != after_prefix_) return m.name_prefix > after_prefix_;
    const Doc& d = index_.docs_[m.slot];
    if (d.name_key != after_->name) return d.name_key > after_->name;
    return d.resource->id() > after_->id;
  }

  bool Has(uint32_t slot) const {
    return slot / 64 < candidates_.size() && (candidates_[slot / 64] >> (slot % 64) & 1);
  }

  // Counts a match and keeps it when it belongs on the page.
  void Offer(uint32_t slot, double distance) {
    ++total_;
    const Match m{distance, index_.compact_[slot].name_prefix, slot};
    if (!PastCursor(m)) return;
    ++past_;
    const auto less = Less();
    if (top_.size() < page_) {
      top_.push_back(m);
      std::push_heap(top_.begin(), top_.end(), less);
    } else if (page_ > 0 && less(m, top_.front())) {
      std::pop_heap(top_.begin(), top_.end(), less);
      top_.back() = m;
      std::push_heap(top_.begin(), top_.end(), less);
    }
  }

  // A candidate that passes the owner filter: its facets counted, then offered.
  void Consider(uint32_t slot, double distance) {
    if (by_owner_ &&
        index_.docs_[slot].resource->owner_organization_id() != request_.owner_organization_id())
      return;
    const Compact& c = index_.compact_[slot];
    by_kind_[c.kind]++;
    by_mobility_[c.mobility]++;
    for (uint32_t bits = c.themes; bits != 0; bits &= bits - 1) by_theme_[std::countr_zero(bits)]++;
    by_terms_[c.terms]++;
    by_lifecycle_[c.lifecycle]++;
    by_province_[c.province]++;
    Offer(slot, distance);
  }

  void ConsiderAll() {
    for (size_t w = 0; w < candidates_.size(); ++w)
      for (uint64_t bits = candidates_[w]; bits != 0; bits &= bits - 1)
        Consider(static_cast<uint32_t>(w * 64 + std::countr_zero(bits)), 0);
  }

  bool InArea(const Area& area, double lat, double lon, double* distance) const {
    if (circle_) {
      const auto& c = request_.within().center();
      *distance = HaversineKm(c.latitude(), c.longitude(), lat, lon);
      return *distance <= request_.within().radius_km();
    }
    return lat >= area.lat_lo && lat <= area.lat_hi && lon >= area.lon_lo && lon <= area.lon_hi;
  }

  // A circle or a box: through the grid cells it covers, or through the candidates when those
  // cells outnumber the occupied ones.
  void CollectInArea() {
    const Area area = AreaOf(request_);
    const int64_t rows = static_cast<int64_t>(std::floor(area.lat_hi / kCellDegrees) -
                                              std::floor(area.lat_lo / kCellDegrees)) +
                         1;
    const int64_t cols = static_cast<int64_t>(std::floor(area.lon_hi / kCellDegrees) -
                                              std::floor(area.lon_lo / kCellDegrees)) +
                         1;
    if (static_cast<size_t>(rows * cols) <= index_.grid_.size() * 2) {
      const int64_t first = CellOf(area.lat_lo, area.lon_lo);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          auto cell = index_.grid_.find(first + r * 10000 + c);
          if (cell == index_.grid_.end()) continue;
          for (const PlacedSlot& p : cell->second) {
            double distance = 0;
            if (Has(p.slot) && InArea(area, p.lat, p.lon, &distance)) Consider(p.slot, distance);
          }
        }
      return;
    }
    for (size_t w = 0; w < candidates_.size(); ++w)
      for (uint64_t bits = candidates_[w]; bits != 0; bits &= bits - 1) {
        const uint32_t slot = static_cast<uint32_t>(w * 64 + std::countr_zero(bits));
        const Doc& d = index_.docs_[slot];
        double distance = 0;
        if (d.has_point && InArea(area, d.lat, d.lon, &distance)) Consider(slot, distance);
      }
  }

  // Many matches: facet counts by popcount over each value's slots.
  void CountFacetsByBitmaps() {
    auto in_candidates = [&](const Bitmap& bits) {
      int n = 0;
      for (size_t w = 0, end = std::min(bits.size(), candidates_.size()); w < end; ++w)
        n += std::popcount(candidates_[w] & bits[w]);
      return n;
    };
    const ValueBitmaps& values = index_.values_;
    for (int v = 0; v < kEnumSlots; ++v) {
      by_kind_[v] = in_candidates(values.kind[v]);
      by_mobility_[v] = in_candidates(values.mobility[v]);
      by_theme_[v] = in_candidates(values.theme[v]);
      by_terms_[v] = in_candidates(values.terms[v]);
      by_lifecycle_[v] = in_candidates(values.lifecycle[v]);
    }
    for (size_t p = 0; p < by_province_.size() && p < values.province.size(); ++p)
      by_province_[p] = in_candidates(values.province[p]);
  }

  // A large share of all documents: walk the result order from the cursor; the page is the first
  // candidates met (one more tells whether a next page exists).
  void WalkByName() {
    auto it = after_
                  ? index_.by_name_.upper_bound(Named{after_prefix_, after_->name, after_->id, 0})
                  : index_.by_name_.begin();
    for (; it != index_.by_name_.end() && top_.size() <= page_; ++it)
      if (Has(it->slot)) top_.push_back({0, it->prefix, it->slot});
    past_ = top_.size();
    if (top_.size() > page_) top_.pop_back();
    std::make_heap(top_.begin(), top_.end(), Less());  // as the other paths leave it
  }

  void AddFacets(v1::SearchResourcesResponse* response) const {
    AddFacet(response, "kind", by_kind_, [](int v) { return v1::ResourceKind_Name(v); });
    AddFacet(response, "mobility", by_mobility_, [](int v) { return v1::Mobility_Name(v); });
    AddFacet(response, "theme", by_theme_, [](int v) { return v1::Theme_Name(v); });
    std::map<std::string, int> provinces;
    for (size_t i = 1; i < by_province_.size(); ++i)
      if (by_province_[i] > 0) provinces[index_.provinces_[i]] = by_province_[i];
    AddFacet(response, "province", provinces, [](const std::string& v) { return v; });
    AddFacet(response, "terms_kind", by_terms_, [](int v) { return v1::TermsKind_Name(v); });
    AddFacet(response, "lifecycle_state", by_lifecycle_,
             [](int v) { return v1::LifecycleState_Name(v); });
  }

  // Enum values are small: counted in arrays, not maps (Consider runs once per match).
  static constexpr int kEnumSlots = 64;

  const SearchIndex& index_;
  const v1::SearchResourcesRequest& request_;
  const bool circle_, by_distance_, by_owner_;
  const size_t page_;
  const std::optional<HitKey> after_;
  const uint64_t after_prefix_;
  const Bitmap candidates_;
  std::vector<Match> top_;
  size_t total_ = 0, past_ = 0;  // matches, and those past the cursor
  std::array<int, kEnumSlots> by_kind_{}, by_mobility_{}, by_theme_{}, by_terms_{}, by_lifecycle_{};
  std::vector<int> by_province_;
};

// The live slots that have one of the asked values of every facet, and a word starting with each
// word of the text.
SearchIndex::Bitmap SearchIndex::Candidates(const v1::SearchResourcesRequest& request,
                                            const std::set<std::string>* only) const {
  Bitmap candidates = live_;
  if (only != nullptr) {
    Bitmap listed(candidates.size(), 0);
    for (const auto& id : *only)
      if (auto it = slot_of_.find(id); it != slot_of_.end()) SetBit(listed, it->second);
    for (size_t w = 0; w < candidates.size(); ++w) candidates[w] &= listed[w];
  }
  auto restrict_to = [&](const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    if (keys.size() == 1) {  // the common case: AND with the one value's bitmap
      const Bitmap* f = Facet(keys.front());
      for (size_t w = 0; w < candidates.size(); ++w)
        candidates[w] &= f && w < f->size() ? (*f)[w] : 0;
      return;
    }
    Bitmap any(candidates.size(), 0);
    for (const auto& k : keys)
      if (const Bitmap* f = Facet(k))
        for (size_t w = 0; w < any.size() && w < f->size(); ++w) any[w] |= (*f)[w];
    for (size_t w = 0; w < candidates.size(); ++w) candidates[w] &= any[w];
  };
  restrict_to(KeysOf("kind", request.kinds()));
  restrict_to(KeysOf("mob", request.mobilities()));
  restrict_to(KeysOf("theme", request.themes()));
  restrict_to(KeysOf("region", request.region_codes()));
  restrict_to(KeysOf("net", request.network_ids()));
  restrict_to(KeysOf("terms", request.terms_kinds()));
  restrict_to(KeysOf("life", request.lifecycle_states()));
  if (request.has_sme_accessible()) restrict_to({request.sme_accessible() ? "sme:1" : "sme:0"});
  const auto words = Words(request.text_prefix());
  for (const auto& word : words) {
    Bitmap matches = WordsWithPrefix(word);
    for (size_t w = 0; w < candidates.size(); ++w)
      candidates[w] &= w < matches.size() ? matches[w] : 0;
  }
  // Text with no letter or digit ("!!!", "*") names no word, so it matches nothing; only text that
  // is empty or white space leaves the search unfiltered.
  if (words.empty() && !absl::StripAsciiWhitespace(request.text_prefix()).empty())
    std::fill(candidates.begin(), candidates.end(), 0);
  return candidates;
}

absl::StatusOr<v1::SearchResourcesResponse> SearchIndex::Search(
    const v1::SearchResourcesRequest& request, const SearchLimits& limits,
    const std::set<std::string>* only) const {
  FieldErrors errors;
  ValidateSearch(request, &errors);
  if (!errors.empty()) return errors.ToStatus();
  auto page_size = PageSize(request.page_size(), limits.default_page_size, limits.max_page_size);
  if (!page_size.ok()) return page_size.status();
  std::optional<HitKey> after;
  if (!request.page_token().empty()) {
    auto key = DecodeToken(request.page_token(), request.order_by() == v1::SEARCH_ORDER_DISTANCE);
    if (!key.ok()) return key.status();
    after = *key;
  }
  std::shared_lock lock(mutex_);
  // A name the token holds cut: the rest is the hit's own, while it still has that name. (Renamed
  // or gone, the page resumes after the cut name: among names that share their first 512 bytes
  // it may repeat or skip one.)
  if (after && after->name_cut)
    if (auto slot = slot_of_.find(after->id); slot != slot_of_.end())
      if (const std::string& name = docs_[slot->second].name_key;
          absl::StartsWith(name, after->name))
        after->name = name;
  Run run(*this, request, static_cast<size_t>(*page_size), std::move(after),
          Candidates(request, only));
  run.Collect();
  return run.Response();
}

}  // namespace infrashare::registry
