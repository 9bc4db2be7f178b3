// Enum values as people write them: "living-lab" for RESOURCE_KIND_LIVING_LAB. The CLI's one
// table of names, for what it prints, what its flags and import files take, and what --help lists.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/generated_enum_reflection.h>
#include <google/protobuf/repeated_field.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace infrashare::cli {

// The value's name without its enum's prefix, in lower case, words joined by '-'; "" for the
// unset value (number 0).
std::string ShortName(const google::protobuf::EnumValueDescriptor* value);
// The short names of the values one can choose (every one but the unset one), in the API's order.
std::vector<std::string> ShortNames(const google::protobuf::EnumDescriptor* values);
// The value `text` names by its short or its full name (case, '-' and '_' aside); nullptr when it
// names none, or the unset one.
const google::protobuf::EnumValueDescriptor* FindValue(
    const google::protobuf::EnumDescriptor* values, const std::string& text);
// Why `text` is no value: "'labb' is no resource kind; did you mean 'lab'? One of: campus, ...".
std::string UnknownValue(const google::protobuf::EnumDescriptor* values, const std::string& text);
// Of `names`, the one nearest to `text` by edit distance when it is near enough to be a typo,
// else "".
std::string Closest(const std::string& text, const std::vector<std::string>& names);

// Refuses (as a command-line error) a text that names no value of `values`.
CLI::Validator EnumValidator(const google::protobuf::EnumDescriptor* values);
// Refuses a text that is none of `names`, saying the nearest one when it looks like a typo.
CLI::Validator OneOf(std::vector<std::string> names);

// A flag taking values of `Enum` by short or full name: --help lists them, a wrong one is refused
// before anything is sent, with the closest value. `target` is a string or a vector of them.
template <typename Enum, typename Target>
CLI::Option* AddEnumOption(CLI::App* command, const std::string& name, Target& target,
                           const std::string& help) {
  const auto* values = google::protobuf::GetEnumDescriptor<Enum>();
  std::string listed;
  for (const auto& value : ShortNames(values)) listed += (listed.empty() ? "" : ", ") + value;
  return command->add_option(name, target, help + ": " + listed)->check(EnumValidator(values));
}

// The short name of a value of `Enum` (its number when the API has grown a value unknown here).
template <typename Enum>
std::string ShortName(Enum value) {
  const auto* named = google::protobuf::GetEnumDescriptor<Enum>()->FindValueByNumber(value);
  return named != nullptr ? ShortName(named) : std::to_string(value);
}

// The value of a text AddEnumOption's check let through.
template <typename Enum>
Enum EnumValue(const std::string& text) {
  return static_cast<Enum>(FindValue(google::protobuf::GetEnumDescriptor<Enum>(), text)->number());
}

// The values of a repeatable flag AddEnumOption checked, added to a repeated enum field.
template <typename Enum>
void AddEnumValues(const std::vector<std::string>& texts,
                   google::protobuf::RepeatedField<int>* field) {
  for (const auto& text : texts) field->Add(EnumValue<Enum>(text));
}

}  // namespace infrashare::cli
