#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "cli/app.h"

namespace infrashare::cli {
namespace {

nlohmann::json ToJson(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &text, options);
  return nlohmann::json::parse(text);
}

std::string Cell(const nlohmann::json& row, const std::string& path) {
  const nlohmann::json* node = &row;
  std::stringstream keys(path);
  for (std::string key; std::getline(keys, key, '.');) {
    if (!node->is_object() || !node->contains(key)) return "";
    node = &(*node)[key];
  }
  if (node->is_string()) return node->get<std::string>();
  if (node->is_array()) {
    std::string out;
    for (const auto& item : *node) {
      if (!out.empty()) out += ",";
      out += item.is_string() ? item.get<std::string>() : item.dump();
    }
    return out;
  }
  return node->dump();
}

}  // namespace

bool App::Check(const grpc::Status& status) {
  if (status.ok()) return true;
  std::string line = client::DescribeError(status);
  if (std::string field = client::ErrorField(status); !field.empty())
    line += " [field: " + field + "]";
  Fail(line);
  return false;
}

void App::Fail(const std::string& message) {
  std::cerr << "infrashare: " << message << "\n";
  exit_code = 1;
}

int ParseEnum(const google::protobuf::EnumDescriptor* descriptor, const std::string& prefix,
              const std::string& text) {
  std::string upper;
  for (char c : text)
    upper += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& name : {prefix + upper, upper})
    if (const auto* value = descriptor->FindValueByName(name)) return value->number();
  return -1;
}

bool ParseTime(const std::string& text, google::protobuf::Timestamp* out, App& app,
               const std::string& flag) {
  if (google::protobuf::util::TimeUtil::FromString(text, out)) return true;
  app.Fail(flag + ": '" + text + "' is not an RFC 3339 time such as 2026-03-29T08:00:00Z");
  return false;
}

bool ParsePoint(const std::string& text, registry::v1::GeoPoint* point, App& app,
                const std::string& flag) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  double lat = 0, lon = 0;
  if (parts.size() != 2 || !absl::SimpleAtod(parts[0], &lat) || !absl::SimpleAtod(parts[1], &lon)) {
    app.Fail(flag + ": '" + text + "' is not LAT,LON such as 52.51,6.09");
    return false;
  }
  point->set_latitude(lat);
  point->set_longitude(lon);
  return true;
}

std::string ReadJsonArgument(const std::string& argument) {
  if (argument.empty() || argument[0] != '@') return argument;
  std::string path = argument.substr(1);
  if (path == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool ParseJson(const std::string& json, google::protobuf::Message* message, App& app) {
  google::protobuf::util::JsonParseOptions options;
  auto status = google::protobuf::util::JsonStringToMessage(json, message, options);
  if (!status.ok()) {
    app.Fail("bad JSON for " + message->GetDescriptor()->name() + ": " +
             std::string(status.message()));
    return false;
  }
  return true;
}

void PrintMessage(const google::protobuf::Message& message, const std::string& format) {
  nlohmann::json json = ToJson(message);
  if (format == "json") {
    std::cout << json.dump(2) << "\n";
    return;
  }
  for (const auto& [key, value] : json.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    std::cout << key << ": " << text << "\n";
  }
}

void PrintRows(const std::vector<const google::protobuf::Message*>& rows,
               const std::vector<std::string>& columns, const std::string& format) {
  if (format == "json") {
    nlohmann::json array = nlohmann::json::array();
    for (const auto* row : rows) array.push_back(ToJson(*row));
    std::cout << array.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto* row : rows) {
    nlohmann::json json = ToJson(*row);
    std::vector<std::string> line;
    for (size_t i = 0; i < columns.size(); ++i) {
      std::string cell = Cell(json, columns[i]);
      if (cell.size() > 48) cell = cell.substr(0, 45) + "...";
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
      widths[i] = std::max(widths[i], line[i].size());
  auto print = [&](const std::vector<std::string>& line) {
    for (size_t i = 0; i < line.size() && i < widths.size(); ++i)
      std::cout << line[i]
                << std::string(widths[i] - line[i].size() + (i + 1 < line.size() ? 2 : 0), ' ');
    std::cout << "\n";
  };
  print(header);
  for (const auto& line : cells) print(line);
}

}  // namespace infrashare::cli
