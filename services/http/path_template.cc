#include "services/http/path_template.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace infrashare::http {
namespace {

bool IsFieldPath(absl::string_view text) {
  if (text.empty()) return false;
  for (absl::string_view ident : absl::StrSplit(text, '.')) {
    if (ident.empty() || absl::ascii_isdigit(static_cast<unsigned char>(ident[0]))) return false;
    for (char c : ident)
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

bool IsLiteral(absl::string_view text) {
  return !text.empty() && text.find_first_of("{}*/:=") == absl::string_view::npos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(const std::string& text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = HexValue(text[i + 1]), low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    const char c = static_cast<char>(high * 16 + low);
    if (keep_slash && c == '/') {
      out.append(text, i, 3);
    } else {
      out += c;
    }
    i += 2;
  }
  return out;
}

absl::StatusOr<PathTemplate> PathTemplate::Parse(const std::string& text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("path template \"", text, "\": ", why));
  };
  if (!absl::StartsWith(text, "/")) return bad("does not start with /");
  PathTemplate parsed;
  parsed.text_ = text;
  // The verb: a ':' outside braces after the last '/' outside braces.
  std::string path = text;
  int depth = 0;
  size_t last_slash = 0, colon = std::string::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') ++depth;
    if (text[i] == '}') --depth;
    if (depth < 0 || depth > 1) return bad("has an unclosed '{' or a stray '}'");
    if (depth == 0 && text[i] == '/') last_slash = i, colon = std::string::npos;
    if (depth == 0 && text[i] == ':' && colon == std::string::npos) colon = i;
  }
  if (depth != 0) return bad("has an unclosed '{'");
  if (colon != std::string::npos && colon > last_slash) {
    parsed.verb_ = text.substr(colon + 1);
    if (!IsLiteral(parsed.verb_)) return bad("has an empty or malformed verb");
    path = text.substr(0, colon);
  }
  // The segments, split at '/' outside braces.
  std::vector<std::string> parts;
  depth = 0;
  std::string current;
  for (size_t i = 1; i < path.size(); ++i) {
    if (path[i] == '{') ++depth;
    if (path[i] == '}') --depth;
    if (path[i] == '/' && depth == 0) {
      parts.push_back(std::move(current));
      current.clear();
    } else {
      current += path[i];
    }
  }
  parts.push_back(std::move(current));
  auto add_plain = [&](const std::string& part, int variable) -> absl::Status {
    if (part == "*") {
      parsed.segments_.push_back({Segment::kOne, "", variable});
    } else if (part == "**") {
      parsed.segments_.push_back({Segment::kMany, "", variable});
    } else if (IsLiteral(part)) {
      parsed.segments_.push_back({Segment::kLiteral, part, variable});
    } else {
      return bad(absl::StrCat("segment \"", part, "\" is not a literal, * or **"));
    }
    return absl::OkStatus();
  };
  for (const std::string& part : parts) {
    if (part.empty()) return bad("has an empty segment");
    if (part.front() != '{') {
      if (auto added = add_plain(part, -1); !added.ok()) return added;
      continue;
    }
    if (part.back() != '}') return bad(absl::StrCat("segment \"", part, "\" is malformed"));
    const std::string inside = part.substr(1, part.size() - 2);
    const size_t equals = inside.find('=');
    Variable variable;
    variable.field_path = inside.substr(0, equals);
    if (!IsFieldPath(variable.field_path))
      return bad(absl::StrCat("\"", variable.field_path, "\" is not a field path"));
    for (const auto& other : parsed.variables_)
      if (other.field_path == variable.field_path)
        return bad(absl::StrCat("binds ", variable.field_path, " twice"));
    const int index = static_cast<int>(parsed.variables_.size());
    variable.first = parsed.segments_.size();
    if (equals == std::string::npos) {
      parsed.segments_.push_back({Segment::kOne, "", index});
    } else {
      const std::vector<std::string> subs = absl::StrSplit(inside.substr(equals + 1), '/');
      for (const std::string& sub : subs)
        if (auto added = add_plain(sub, index); !added.ok()) return added;
    }
    variable.end = parsed.segments_.size();
    parsed.variables_.push_back(std::move(variable));
  }
  for (size_t i = 0; i + 1 < parsed.segments_.size(); ++i)
    if (parsed.segments_[i].kind == Segment::kMany) return bad("has ** before its last segment");
  return parsed;
}

std::optional<std::vector<std::pair<std::string, std::string>>> PathTemplate::Match(
    const std::string& path) const {
  if (!absl::StartsWith(path, "/")) return std::nullopt;
  absl::string_view rest = path;
  rest.remove_prefix(1);
  if (!verb_.empty()) {
    const std::string suffix = absl::StrCat(":", verb_);
    if (!absl::EndsWith(rest, suffix)) return std::nullopt;
    rest.remove_suffix(suffix.size());
  }
  std::vector<absl::string_view> parts = absl::StrSplit(rest, '/');
  // Each segment's raw text, or (for "**") everything from it on.
  std::vector<std::string> raw(segments_.size());
  size_t at = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    const Segment& segment = segments_[i];
    if (segment.kind == Segment::kMany) {
      std::vector<absl::string_view> tail(parts.begin() + std::min(at, parts.size()), parts.end());
      for (absl::string_view part : tail)
        if (part.empty()) return std::nullopt;
      raw[i] = absl::StrJoin(tail, "/");
      at = parts.size();
      continue;
    }
    if (at >= parts.size() || parts[at].empty()) return std::nullopt;
    if (segment.kind == Segment::kLiteral && parts[at] != segment.literal) return std::nullopt;
    raw[i] = std::string(parts[at++]);
  }
  if (at != parts.size()) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> values;
  for (const Variable& variable : variables_) {
    std::vector<std::string> pieces;
    for (size_t i = variable.first; i < variable.end; ++i)
      if (!raw[i].empty()) pieces.push_back(raw[i]);
    const bool one =
        variable.end - variable.first == 1 && segments_[variable.first].kind != Segment::kMany;
    auto decoded = PercentDecode(absl::StrJoin(pieces, "/"), !one);
    if (!decoded || decoded->empty()) return std::nullopt;
    values.emplace_back(variable.field_path, std::move(*decoded));
  }
  return values;
}

std::vector<std::string> PathTemplate::Variables() const {
  std::vector<std::string> out;
  for (const auto& variable : variables_) out.push_back(variable.field_path);
  return out;
}

std::vector<std::pair<std::string, std::string>> PathTemplate::VariablePatterns() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& variable : variables_) {
    std::vector<std::string> parts;
    for (size_t i = variable.first; i < variable.end; ++i) {
      const Segment& segment = segments_[i];
      parts.push_back(segment.kind == Segment::kLiteral
                          ? segment.literal
                          : (segment.kind == Segment::kOne ? "*" : "**"));
    }
    std::string pattern = absl::StrJoin(parts, "/");
    if (pattern == "*") pattern.clear();
    out.emplace_back(variable.field_path, std::move(pattern));
  }
  return out;
}

bool PathTemplate::HasBareWildcard() const {
  for (const Segment& segment : segments_)
    if (segment.variable < 0 && segment.kind != Segment::kLiteral) return true;
  return false;
}

std::string PathTemplate::Display() const {
  std::string out;
  for (size_t i = 0; i < segments_.size();) {
    out += '/';
    const Segment& segment = segments_[i];
    if (segment.variable >= 0) {
      const Variable& variable = variables_[segment.variable];
      absl::StrAppend(&out, "{", variable.field_path, "}");
      i = variable.end;
      continue;
    }
    out += segment.kind == Segment::kLiteral ? segment.literal
                                             : (segment.kind == Segment::kOne ? "*" : "**");
    ++i;
  }
  if (!verb_.empty()) absl::StrAppend(&out, ":", verb_);
  return out;
}

}  // namespace infrashare::http
