#include "cli/enum_names.h"

#include <absl/algorithm/container.h>
#include <absl/strings/str_split.h>

#include <algorithm>
#include <cctype>

namespace infrashare::cli {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// "ResourceKind" -> "RESOURCE_KIND_", the prefix of the enum's values.
std::string Prefix(const google::protobuf::EnumDescriptor* values) {
  std::string out;
  const std::string& name = values->name();
  for (size_t i = 0; i < name.size(); ++i) {
    if (i > 0 && std::isupper(static_cast<unsigned char>(name[i]))) out += '_';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(name[i])));
  }
  return out + "_";
}

// "ResourceKind" -> "resource kind", for messages.
std::string Described(const google::protobuf::EnumDescriptor* values) {
  std::string prefix = Lower(Prefix(values));
  prefix.pop_back();
  std::replace(prefix.begin(), prefix.end(), '_', ' ');
  return prefix;
}

// Levenshtein distance: the fewest single-letter insertions, deletions and substitutions.
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string ShortName(const google::protobuf::EnumValueDescriptor* value) {
  if (value->number() == 0) return "";
  const std::string prefix = Prefix(value->type());
  const std::string& full = value->name();
  std::string name = Lower(full.rfind(prefix, 0) == 0 ? full.substr(prefix.size()) : full);
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

std::vector<std::string> ShortNames(const google::protobuf::EnumDescriptor* values) {
  std::vector<std::string> names;
  for (int i = 0; i < values->value_count(); ++i)
    if (values->value(i)->number() != 0) names.push_back(ShortName(values->value(i)));
  return names;
}

const google::protobuf::EnumValueDescriptor* FindValue(
    const google::protobuf::EnumDescriptor* values, const std::string& text) {
  std::string upper;
  for (char c : text)
    upper += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& name : {Prefix(values) + upper, upper})
    if (const auto* value = values->FindValueByName(name); value != nullptr && value->number() != 0)
      return value;
  return nullptr;
}

std::string Closest(const std::string& text, const std::vector<std::string>& names) {
  const std::string typed = Lower(text);
  std::string best;
  size_t best_distance = 0;
  for (const auto& name : names) {
    // A typo in the whole name, or in its beginning ("pendng" for pending-approval).
    const std::string lower = Lower(name);
    size_t distance = EditDistance(typed, lower);
    for (size_t n = typed.size() > 0 ? typed.size() - 1 : 0; n <= typed.size() + 1; ++n)
      if (n >= 4 && n < lower.size())
        distance = std::min(distance, EditDistance(typed, lower.substr(0, n)));
    if (best.empty() || distance < best_distance) {
      best = name;
      best_distance = distance;
    }
  }
  // A typo changes a letter, or up to a third of a longer word; further off is another word.
  return best_distance <= std::max<size_t>(1, std::min(best.size(), typed.size()) / 3) ? best : "";
}

std::string UnknownValue(const google::protobuf::EnumDescriptor* values, const std::string& text) {
  const std::vector<std::string> names = ShortNames(values);
  std::string message = "'" + text + "' is no " + Described(values);
  std::vector<std::string> near;
  if (std::string closest = Closest(text, names); !closest.empty()) {
    near.push_back(std::move(closest));
  } else {
    // A word of a longer name ("admin" for organization-admin and platform-admin).
    const std::string typed = Lower(text);
    for (const auto& name : names)
      if (absl::c_linear_search(absl::StrSplit(Lower(name), '-'), typed)) near.push_back(name);
    if (near.size() > 3) near.clear();
  }
  for (size_t i = 0; i < near.size(); ++i)
    message += (i == 0 ? "; did you mean '" : "' or '") + near[i];
  message += near.empty() ? "." : "'?";
  message += " One of: ";
  for (size_t i = 0; i < names.size(); ++i) message += (i > 0 ? ", " : "") + names[i];
  return message;
}

CLI::Validator EnumValidator(const google::protobuf::EnumDescriptor* values) {
  return CLI::Validator(
      [values](std::string& text) {
        return FindValue(values, text) != nullptr ? std::string() : UnknownValue(values, text);
      },
      "", Described(values));
}

CLI::Validator OneOf(std::vector<std::string> names) {
  std::string listed;
  for (const auto& name : names) listed += (listed.empty() ? "" : ", ") + name;
  return CLI::Validator(
      [names, listed](std::string& text) {
        if (std::find(names.begin(), names.end(), text) != names.end()) return std::string();
        const std::string near = Closest(text, names);
        return "'" + text + "' is not one of " + listed +
               (near.empty() ? "" : "; did you mean '" + near + "'?");
      },
      "{" + listed + "}", "");
}

}  // namespace infrashare::cli
