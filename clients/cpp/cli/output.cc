#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "cli/app.h"
#include "cli/enum_names.h"
#include "services/common/regions.h"

namespace infrashare::cli {
namespace {

// The message as JSON with every field, zeros and empty lists included, so a program always finds
// a count (the JSON output's one shape).
nlohmann::json ToJson(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &text, options);
  return nlohmann::json::parse(text);
}

// Text fields that hold CBS region codes (PVxx, CRxx, GMxxxx), which people read with the name.
bool HoldsRegionCode(const google::protobuf::FieldDescriptor* field) {
  static const std::set<std::string> kNames = {"province", "corop",       "municipality", "region",
                                               "regions",  "region_code", "region_codes"};
  return field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
         kNames.count(field->name()) > 0;
}

void ForPeople(const google::protobuf::Descriptor* type, nlohmann::json* object, const App& app,
               const date::time_zone* zone);

// One field's value as people read it: an enum value by its short name, a time in `zone` with its
// offset, a region code with the region's name.
void ValueForPeople(const google::protobuf::FieldDescriptor* field, nlohmann::json* value,
                    const App& app, const date::time_zone* zone) {
  if (HoldsRegionCode(field)) {
    if (value->is_string()) *value = RegionForPeople(value->get<std::string>());
  } else if (const auto* values = field->enum_type()) {
    if (!value->is_string()) return;
    if (const auto* named = values->FindValueByName(value->get<std::string>()))
      *value = ShortName(named);
  } else if (const auto* type = field->message_type()) {
    google::protobuf::Timestamp time;
    if (type->full_name() == google::protobuf::Timestamp::descriptor()->full_name()) {
      if (value->is_string() &&
          google::protobuf::util::TimeUtil::FromString(value->get<std::string>(), &time))
        *value = TimeForPeople(time, zone);
    } else if (type->file()->package() != "google.protobuf") {
      ForPeople(type, value, app, zone);
    }
  }
}

// An object's times are in its resource's zone when it names one (a booking, an event, a
// rotation assignment), else in the zone of the object it is part of.
void ForPeople(const google::protobuf::Descriptor* type, nlohmann::json* object, const App& app,
               const date::time_zone* zone) {
  if (!object->is_object()) return;
  for (const char* key : {"resource_id", "unit_resource_id"})
    if (object->contains(key) && object->at(key).is_string()) {
      zone = app.ZoneOf(object->at(key).get<std::string>());
      break;
    }
  for (auto it = object->begin(); it != object->end(); ++it) {
    const auto* field = type->FindFieldByName(it.key());
    if (field == nullptr) continue;
    if (field->is_map()) {
      for (auto& entry : it.value())
        ValueForPeople(field->message_type()->map_value(), &entry, app, zone);
    } else if (field->is_repeated()) {
      for (auto& item : it.value()) ValueForPeople(field, &item, app, zone);
    } else {
      ValueForPeople(field, &it.value(), app, zone);
    }
  }
}

// The message as people read it in tables and key-value lines.
nlohmann::json ForPeople(const google::protobuf::Message& message, const App& app) {
  nlohmann::json json = ToJson(message);
  ForPeople(message.GetDescriptor(), &json, app, app.ZoneOf(app.resource));
  return json;
}

// A number as people read it: whole numbers as they are, distances to 0.1 km, others to at most
// six decimals without trailing zeros.
std::string Number(const nlohmann::json& value, const std::string& key) {
  if (!value.is_number_float()) return value.dump();
  const bool distance = key.size() > 3 && key.compare(key.size() - 3, 3, "_km") == 0;
  char text[64];
  std::snprintf(text, sizeof text, distance ? "%.1f" : "%.6f", value.get<double>());
  std::string out = text;
  if (!distance) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out;
}

std::string Text(const nlohmann::json& node, const std::string& key) {
  if (node.is_string()) return node.get<std::string>();
  if (node.is_number()) return Number(node, key);
  if (node.is_array()) {
    std::string out;
    for (const auto& item : node) {
      if (!out.empty()) out += ",";
      out += Text(item, key);
    }
    return out;
  }
  return node.dump();
}

std::string Cell(const nlohmann::json& row, const std::string& path) {
  const nlohmann::json* node = &row;
  std::stringstream keys(path);
  std::string key;
  while (std::getline(keys, key, '.')) {
    if (!node->is_object() || !node->contains(key)) return "";
    node = &(*node)[key];
  }
  return Text(*node, key);
}

// Nothing to show: an empty text, list or object (zeros and false are shown).
// Columns line up by characters, not bytes: "Één loket Café" is 14 wide in 17 bytes. (Wide East
// Asian characters would need more; Dutch and other Latin text does not.)
size_t Characters(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// The first `count` characters of UTF-8 `text`, never half of one.
std::string FirstCharacters(const std::string& text, size_t count) {
  size_t end = 0;
  for (size_t seen = 0; end < text.size(); ++end) {
    if ((static_cast<unsigned char>(text[end]) & 0xC0) != 0x80 && seen++ == count) break;
  }
  return text.substr(0, end);
}

bool Unset(const nlohmann::json& value) {
  return value.is_null() || (value.is_string() && value.get<std::string>().empty()) ||
         (value.is_structured() && value.empty());
}

// A string YAML would read as itself when written plainly: one starting with a letter that is
// no YAML 1.1 boolean or null word (numbers, times and "yes" are quoted, as JSON has them).
bool PlainYamlString(const std::string& text) {
  static const std::set<std::string> kWords = {"y",   "n",    "yes",   "no",   "on",
                                               "off", "true", "false", "null", "~"};
  if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) return false;
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  return kWords.count(lower) == 0;
}

void EmitYaml(const nlohmann::json& node, YAML::Emitter& out) {
  if (node.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, value] : node.items()) {
      out << YAML::Key << key << YAML::Value;
      EmitYaml(value, out);
    }
    out << YAML::EndMap;
  } else if (node.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& item : node) EmitYaml(item, out);
    out << YAML::EndSeq;
  } else if (node.is_string()) {
    const std::string& text = node.get_ref<const std::string&>();
    if (PlainYamlString(text))
      out << text;
    else
      out << YAML::DoubleQuoted << text;
  } else if (node.is_null()) {
    out << YAML::Null;
  } else {
    out << node.dump();  // numbers and booleans are written alike in both
  }
}

// A whole answer for programs: indented JSON, or a YAML document.
void PrintDocument(const nlohmann::json& document, const std::string& format) {
  if (format == "yaml") {
    YAML::Emitter out;
    EmitYaml(document, out);
    std::cout << out.c_str() << "\n";
    return;
  }
  std::cout << document.dump(2) << "\n";
}

}  // namespace

bool LooksSwapped(double latitude, double longitude) {
  // The Netherlands with its coast and islands, roughly.
  auto dutch = [](double lat, double lon) {
    return lat >= 50.5 && lat <= 53.7 && lon >= 3.2 && lon <= 7.3;
  };
  return !(latitude >= 50.5 && latitude <= 53.7) && dutch(longitude, latitude);
}

bool ParsePoint(const std::string& text, registry::v1::GeoPoint* point, App& app,
                const std::string& flag) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  double lat = 0, lon = 0;
  if (parts.size() != 2 || !absl::SimpleAtod(parts[0], &lat) || !absl::SimpleAtod(parts[1], &lon)) {
    app.FailUsage(flag + ": '" + text + "' is not LAT,LON such as 52.51,6.09");
    return false;
  }
  if (LooksSwapped(lat, lon))
    std::cerr << "infrashare: warning: " << flag << " " << text
              << " lies outside the Netherlands; did you mean " << parts[1] << "," << parts[0]
              << " (latitude first)?\n";
  point->set_latitude(lat);
  point->set_longitude(lon);
  return true;
}

std::optional<std::string> ReadJsonArgument(const std::string& argument, App& app) {
  if (argument.empty() || argument[0] != '@') return argument;
  std::string path = argument.substr(1);
  if (path == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::ifstream in(path);
  if (!in) {
    app.Fail("cannot read " + path);
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool ParseJsonArgument(const std::string& argument, google::protobuf::Message* message, App& app) {
  auto json = ReadJsonArgument(argument, app);
  return json && ParseJson(*json, message, app);
}

bool ParseJson(const std::string& json, google::protobuf::Message* message, App& app) {
  google::protobuf::util::JsonParseOptions options;
  auto status = google::protobuf::util::JsonStringToMessage(json, message, options);
  if (!status.ok()) {
    app.FailUsage("bad JSON for " + message->GetDescriptor()->name() + ": " +
                  std::string(status.message()));
    return false;
  }
  return true;
}

std::string RegionForPeople(const std::string& code) {
  const RegionInfo* region = FindRegion(code);
  return region == nullptr ? code : code + " " + std::string(region->name);
}

void PrintEvent(const google::protobuf::Message& event, const App& app) {
  if (app.output == "yaml") {
    std::cout << "---\n";
    PrintForPrograms(event, "yaml");
  } else {
    std::cout << JsonLine(event) << "\n";
  }
  std::cout.flush();
}

std::string JsonLine(const google::protobuf::Message& message) { return ToJson(message).dump(); }

void PrintForPrograms(const google::protobuf::Message& message, const std::string& format) {
  PrintDocument(ToJson(message), format);
}

std::string Counted(long long count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

void PrintMessage(const google::protobuf::Message& message, const App& app) {
  if (app.ForPrograms()) return PrintForPrograms(message, app.output);
  const nlohmann::json json = ForPeople(message, app);  // items() does not keep a temporary
  auto print = [](const std::string& key, const nlohmann::json& value) {
    if (!Unset(value))
      std::cout << key << ": " << (value.is_structured() ? value.dump() : Text(value, key)) << "\n";
  };
  // The id and the state first, as in tables; then the other fields by name.
  constexpr const char* kFirst[] = {"id", "state"};
  for (const char* key : kFirst)
    if (json.contains(key)) print(key, json.at(key));
  for (const auto& [key, value] : json.items())
    if (key != kFirst[0] && key != kFirst[1]) print(key, value);
}

void PrintRows(const std::vector<const google::protobuf::Message*>& rows,
               const std::vector<std::string>& columns, const App& app) {
  std::vector<std::vector<std::string>> cells;
  for (const auto* row : rows) {
    nlohmann::json json = ForPeople(*row, app);
    std::vector<std::string> line;
    for (size_t i = 0; i < columns.size(); ++i) {
      std::string cell = Cell(json, columns[i]);
      if (i + 1 < columns.size() && Characters(cell) > 48) cell = FirstCharacters(cell, 45) + "...";
      line.push_back(cell);
    }
    cells.push_back(std::move(line));
  }
  std::vector<std::string> header;
  for (const auto& c : columns)
    header.push_back(c.substr(c.rfind('.') == std::string::npos ? 0 : c.rfind('.') + 1));
  PrintTable(header, cells);
}

void PrintTable(std::vector<std::string> header,
                const std::vector<std::vector<std::string>>& cells) {
  std::vector<size_t> widths;
  for (auto& h : header) {
    std::transform(h.begin(), h.end(), h.begin(), ::toupper);
    widths.push_back(h.size());
  }
  for (const auto& line : cells)
    for (size_t i = 0; i < line.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], Characters(line[i]));
  auto print = [&](const std::vector<std::string>& line) {
    const size_t n = std::min(line.size(), widths.size());
    for (size_t i = 0; i < n; ++i) {
      std::cout << line[i];
      if (i + 1 < n) std::cout << std::string(widths[i] - Characters(line[i]) + 2, ' ');
    }
    std::cout << "\n";
  };
  print(header);
  for (const auto& line : cells) print(line);
}

}  // namespace infrashare::cli
