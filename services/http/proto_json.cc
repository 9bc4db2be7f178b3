#include "services/http/proto_json.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/type.pb.h>
#include <google/protobuf/util/type_resolver_util.h>
#include <google/protobuf/wire_format_lite.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/text_fold.h"

namespace infrashare::http {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::util::TypeResolver;

// An answer with more new entities than this is written whole, and this many of them kept.
constexpr int kNewOnTheirOwn = 4;

// Protobuf 3.21's JSON conversion describes each message and enum type it meets (a
// google.protobuf.Type built from the descriptor, field by field) anew on every call: this
// resolver builds each description once and hands out copies, which costs less. The generated
// pool never changes, so a kept description never goes stale.
class KeptTypes : public TypeResolver {
 public:
  google::protobuf::util::Status ResolveMessageType(const std::string& url,
                                                    google::protobuf::Type* type) override {
    return Resolve(url, type, messages_, &TypeResolver::ResolveMessageType);
  }
  google::protobuf::util::Status ResolveEnumType(const std::string& url,
                                                 google::protobuf::Enum* type) override {
    return Resolve(url, type, enums_, &TypeResolver::ResolveEnumType);
  }

 private:
  template <typename T>
  google::protobuf::util::Status Resolve(
      const std::string& url, T* type, std::map<std::string, T>& kept,
      google::protobuf::util::Status (TypeResolver::*build)(const std::string&, T*)) {
    {
      std::shared_lock lock(mutex_);
      if (auto found = kept.find(url); found != kept.end()) {
        *type = found->second;
        return google::protobuf::util::Status();
      }
    }
    google::protobuf::util::Status built = (builder_.get()->*build)(url, type);
    if (!built.ok()) return built;
    std::unique_lock lock(mutex_);
    kept.emplace(url, *type);
    return built;
  }

  const std::unique_ptr<TypeResolver> builder_{
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          "type.googleapis.com", google::protobuf::DescriptorPool::generated_pool())};
  std::shared_mutex mutex_;
  std::map<std::string, google::protobuf::Type> messages_;  // guarded by mutex_
  std::map<std::string, google::protobuf::Enum> enums_;     // guarded by mutex_
};

TypeResolver* Types() {
  static KeptTypes* const types = new KeptTypes();
  return types;
}

std::string TypeUrl(const Descriptor& type) {
  return absl::StrCat("type.googleapis.com/", type.full_name());
}

bool Convert(const Descriptor& type, absl::string_view bytes, std::string* json) {
  return google::protobuf::util::BinaryToJsonString(Types(), TypeUrl(type), std::string(bytes),
                                                    json)
      .ok();
}

// What AnswerJson writes apart in a message of one type.
struct Shape {
  bool entity = false;  // the message is an entity: kept whole
  std::set<int> apart;  // numbers of fields that hold entities
};

bool IsEntity(const Descriptor& type) {
  const FieldDescriptor* etag = type.FindFieldByName("etag");
  return etag != nullptr && !etag->is_repeated() && etag->type() == FieldDescriptor::TYPE_STRING;
}

// A message field AnswerJson may look into: protobuf's own types (Timestamp, Any, Struct, ...) and
// maps have JSON of their own.
const Descriptor* Inner(const FieldDescriptor& field) {
  if (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field.is_map()) return nullptr;
  const Descriptor* type = field.message_type();
  if (absl::StartsWith(type->file()->name(), "google/protobuf/")) return nullptr;
  return type;
}

bool HoldsEntity(const Descriptor& type, std::set<const Descriptor*>* seen) {
  if (IsEntity(type)) return true;
  if (!seen->insert(&type).second) return false;
  for (int i = 0; i < type.field_count(); ++i)
    if (const Descriptor* inner = Inner(*type.field(i)); inner && HoldsEntity(*inner, seen))
      return true;
  return false;
}

const Shape& ShapeOf(const Descriptor& type) {
  static std::shared_mutex mutex;
  static std::map<const Descriptor*, Shape>* const shapes = new std::map<const Descriptor*, Shape>;
  {
    std::shared_lock lock(mutex);
    if (auto found = shapes->find(&type); found != shapes->end()) return found->second;
  }
  Shape shape;
  shape.entity = IsEntity(type);
  if (!shape.entity) {
    for (int i = 0; i < type.field_count(); ++i) {
      std::set<const Descriptor*> seen;
      if (const Descriptor* inner = Inner(*type.field(i)); inner && HoldsEntity(*inner, &seen))
        shape.apart.insert(type.field(i)->number());
    }
  }
  std::unique_lock lock(mutex);
  return shapes->emplace(&type, std::move(shape)).first->second;
}

// Reads JSON for an object member named twice (RFC 8259: names SHOULD be unique). Protobuf's
// parser keeps the last one, where a filter in front may have read the first: such a body is
// refused rather than read one way. Names compare as decoded ("a" and "\u0061" are one name) and
// as protobuf reads them: a field's proto name and its JSON name are one ("text_prefix" and
// "textPrefix"; the same rule makes map keys that differ only so one key, a harmless refusal).
// Whatever else the parser minds it leaves to protobuf's, which says more. It stops at 100 levels
// of objects and arrays (protobuf's parser stops at 100 of objects; no request nests arrays in
// arrays): a body of 4 MiB of '[' would otherwise hold a level each.
class DuplicateMembers final : public nlohmann::json::json_sax_t {
 public:
  static constexpr size_t kMaxDepth = 100;  // as protobuf's JSON parser's recursion limit

  // The first name met twice in one object, if any.
  const std::optional<std::string>& duplicate() const { return duplicate_; }
  bool too_deep() const { return too_deep_; }

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return Open(); }
  bool key(string_t& name) override {
    if (open_.back().insert(JsonName(name)).second) return true;
    duplicate_ = name;
    return false;
  }
  bool end_object() override {
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return Open(); }  // no names; keeps levels matched
  bool end_array() override {
    open_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception&) override {
    return false;
  }

 private:
  bool Open() {
    too_deep_ = open_.size() >= kMaxDepth;
    if (!too_deep_) open_.emplace_back();
    return !too_deep_;
  }
  // protobuf's ToJsonName: an underscore dropped and the letter after it in capitals.
  static std::string JsonName(const std::string& name) {
    std::string out;
    bool capital = false;
    for (char c : name) {
      if (c == '_') {
        capital = true;
      } else {
        out += capital ? absl::ascii_toupper(static_cast<unsigned char>(c)) : c;
        capital = false;
      }
    }
    return out;
  }

  std::vector<std::set<std::string>> open_;  // the names of each open object (arrays: none)
  std::optional<std::string> duplicate_;
  bool too_deep_ = false;
};

}  // namespace

std::optional<std::string> JsonShapeMistake(const std::string& json) {
  DuplicateMembers members;
  nlohmann::json::sax_parse(json, &members);
  if (members.too_deep())
    return absl::StrCat("the JSON nests deeper than ", DuplicateMembers::kMaxDepth, " levels");
  if (const auto& twice = members.duplicate())
    return absl::StrCat("an object names \"", Utf8Prefix(*twice, 64), "\" twice");
  return std::nullopt;
}

google::protobuf::util::Status JsonToMessage(
    const std::string& json, Message* message,
    const google::protobuf::util::JsonParseOptions& options) {
  if (const auto mistake = JsonShapeMistake(json))
    return google::protobuf::util::InvalidArgumentError(*mistake);
  std::string binary;
  google::protobuf::util::Status parsed = google::protobuf::util::JsonToBinaryString(
      Types(), TypeUrl(*message->GetDescriptor()), json, &binary, options);
  if (parsed.ok() && !message->ParseFromString(binary))
    return google::protobuf::util::InvalidArgumentError("the JSON gives no valid message");
  return parsed;
}

std::optional<std::string> BytesToJson(const Descriptor& type, absl::string_view bytes) {
  std::string json;
  if (!Convert(type, bytes, &json)) return std::nullopt;
  return json;
}

std::string ToJson(const Message& message) {
  std::optional<std::string> json =
      BytesToJson(*message.GetDescriptor(), message.SerializeAsString());
  if (!json) return R"({"code":13,"message":"the answer could not be written as JSON"})";
  return *std::move(json);
}

AnswerJson::AnswerJson(size_t budget_bytes, std::chrono::steady_clock::duration turn, Clock clock)
    : budget_(budget_bytes), turn_(turn), clock_(std::move(clock)), young_since_(clock_()) {}

// A message of an answer: an entity (its JSON kept or to be written), or a message that holds
// entities (its other fields written by the converter, those that hold entities one by one), or
// neither (written by the converter).
struct AnswerJson::Node {
  const Descriptor* type = nullptr;
  absl::string_view bytes;
  const Shape* shape = nullptr;
  std::string key;                          // an entity's: its type and bytes
  std::shared_ptr<const std::string> json;  // an entity's, when kept
  std::string rest;                         // a holder's fields but those apart, in wire bytes
  // A holder's fields apart, by number: the field and its messages in order.
  std::map<int, std::pair<const FieldDescriptor*, std::vector<Node>>> apart;
};

// Reads the wire bytes of a message into a Node; false when they are not a message of `type`
// as protobuf writes it (a field apart that is not length-delimited, a single one given twice).
bool AnswerJson::Split(const Descriptor& type, absl::string_view bytes, Node* node) {
  node->type = &type;
  node->bytes = bytes;
  node->shape = &ShapeOf(type);
  if (node->shape->entity) {
    node->key = absl::StrCat(type.full_name(), "\n", bytes);
    return true;
  }
  if (node->shape->apart.empty()) return true;
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(bytes.data()),
                                               static_cast<int>(bytes.size()));
  while (true) {
    const int start = input.CurrentPosition();
    const uint32_t tag = input.ReadTag();
    if (tag == 0) return input.ConsumedEntireMessage() && start == static_cast<int>(bytes.size());
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    if (node->shape->apart.count(number) == 0) {
      if (!WireFormatLite::SkipField(&input, tag)) return false;
      node->rest.append(bytes.data() + start, input.CurrentPosition() - start);
      continue;
    }
    uint32_t length;
    if (WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED ||
        !input.ReadVarint32(&length) || length > bytes.size() - input.CurrentPosition())
      return false;
    const FieldDescriptor* field = type.FindFieldByNumber(number);
    auto& [held_field, messages] = node->apart[number];
    held_field = field;
    if (!field->is_repeated() && !messages.empty()) return false;
    messages.emplace_back();
    if (!Split(*Inner(*field), bytes.substr(input.CurrentPosition(), length), &messages.back()))
      return false;
    if (!input.Skip(static_cast<int>(length))) return false;
  }
}

// Finds the kept JSON of each entity under `node`, counting those not kept.
void AnswerJson::Look(Node* node, int* missing) {
  if (node->shape->entity) {
    node->json = Find(node->key);
    if (node->json == nullptr) ++*missing;
    return;
  }
  for (auto& [number, held] : node->apart)
    for (Node& inner : held.second) Look(&inner, missing);
}

bool AnswerJson::Render(Node* node, std::string* out) {
  if (node->shape->entity) {
    if (node->json == nullptr) {
      auto json = std::make_shared<std::string>();
      if (!Convert(*node->type, node->bytes, json.get())) return false;
      node->json = json;
      Keep(node->key, node->json);
      ++kept_new_;
    } else {
      ++kept_used_;
    }
    out->append(*node->json);
    return true;
  }
  if (node->shape->apart.empty()) return Convert(*node->type, node->bytes, out);
  std::string rest;
  if (!Convert(*node->type, node->rest, &rest) || rest.size() < 2 || rest.back() != '}')
    return false;
  rest.pop_back();
  out->append(rest);
  bool first = rest.size() == 1;  // "{": no member before
  for (auto& [number, held] : node->apart) {
    auto& [field, messages] = held;
    absl::StrAppend(out, first ? "" : ",", "\"", field->json_name(), "\":");
    first = false;
    if (field->is_repeated()) out->push_back('[');
    for (size_t i = 0; i < messages.size(); ++i) {
      if (i > 0) out->push_back(',');
      if (!Render(&messages[i], out)) return false;
    }
    if (field->is_repeated()) out->push_back(']');
  }
  out->push_back('}');
  return true;
}

std::optional<std::string> AnswerJson::Write(const Descriptor& type, absl::string_view bytes) {
  if (budget_ == 0) return BytesToJson(type, bytes);
  TurnIfDue();
  Node root;
  if (!Split(type, bytes, &root)) return BytesToJson(type, bytes);
  int missing = 0;
  Look(&root, &missing);
  if (missing > kNewOnTheirOwn) {
    // Written whole; a few of its new entities kept, so that an answer read again is soon
    // written from kept ones.
    std::vector<Node*> fresh;
    std::vector<Node*> pending = {&root};
    while (!pending.empty() && static_cast<int>(fresh.size()) < kNewOnTheirOwn) {
      Node* node = pending.back();
      pending.pop_back();
      if (node->shape->entity && node->json == nullptr) fresh.push_back(node);
      for (auto it = node->apart.rbegin(); it != node->apart.rend(); ++it)
        for (auto inner = it->second.second.rbegin(); inner != it->second.second.rend(); ++inner)
          pending.push_back(&*inner);
    }
    std::string ignored;
    for (Node* node : fresh) Render(node, &ignored);
    ++whole_;
    return BytesToJson(type, bytes);
  }
  std::string json;
  if (!Render(&root, &json)) return BytesToJson(type, bytes);
  return json;
}

std::shared_ptr<const std::string> AnswerJson::Find(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (auto found = young_.find(key); found != young_.end()) return found->second;
  auto found = old_.find(key);
  if (found == old_.end()) return nullptr;
  std::shared_ptr<const std::string> json = found->second;
  Add(key, json);  // used again: it stays when the old generation goes
  return json;
}

void AnswerJson::Keep(const std::string& key, std::shared_ptr<const std::string> json) {
  std::lock_guard lock(mutex_);
  Add(key, std::move(json));
}

void AnswerJson::Add(const std::string& key, std::shared_ptr<const std::string> json) {
  const size_t size = key.size() + json->size() + kEntryAllowance;
  if (size > budget_ / 2 || !young_.emplace(key, std::move(json)).second) return;
  young_bytes_ += size;
  if (young_bytes_ > budget_ / 2) Turn();
}

void AnswerJson::Turn() {
  old_ = std::move(young_);
  young_.clear();
  young_bytes_ = 0;
  young_since_ = clock_();
}

void AnswerJson::TurnIfDue() {
  std::lock_guard lock(mutex_);
  if (clock_() - young_since_ >= turn_) Turn();
}

AnswerJson::Counts AnswerJson::counts() const {
  std::lock_guard lock(mutex_);
  return {kept_used_.load(), kept_new_.load(), whole_.load(), young_.size() + old_.size()};
}

}  // namespace infrashare::http
