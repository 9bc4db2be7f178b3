// The path of a google.api.http rule (google/api/http.proto, "Path template syntax"):
// "/v1/bookings/{id}:approve", "/v1/{name=networks/*/resources/*}". Parsed once, matched against
// every request's path.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace infrashare::http {

class PathTemplate {
 public:
  // The template, or INVALID_ARGUMENT naming what is wrong with it.
  static absl::StatusOr<PathTemplate> Parse(const std::string& text);

  // The variables' values when `path` (as sent: percent-encoded, without the query) matches, each
  // as (field path, value): a one-segment variable percent-decoded, a "**" one as sent but for
  // its segments' decoding except "%2F". Nothing when it does not match.
  std::optional<std::vector<std::pair<std::string, std::string>>> Match(
      const std::string& path) const;

  // The field paths the template binds ("id", "booking.id"), in order.
  std::vector<std::string> Variables() const;
  // Each variable's field path with its pattern ("networks/*" for {name=networks/*}; "" for a
  // variable of one segment).
  std::vector<std::pair<std::string, std::string>> VariablePatterns() const;
  // Whether a "*" or "**" stands outside every variable (it matches, but binds nothing).
  bool HasBareWildcard() const;
  // The template with each variable as "{field.path}" (OpenAPI's form).
  std::string Display() const;
  const std::string& verb() const { return verb_; }
  const std::string& text() const { return text_; }

 private:
  struct Segment {
    enum Kind { kLiteral, kOne, kMany } kind;
    std::string literal;  // kLiteral
    int variable = -1;    // the variable this segment belongs to, -1 for none
  };
  struct Variable {
    std::string field_path;
    size_t first = 0, end = 0;  // its segments
  };
  std::string text_;
  std::vector<Segment> segments_;
  std::vector<Variable> variables_;
  std::string verb_;
};

// `text` with %XX decoded; nothing when an escape is malformed. With `keep_slash`, "%2F" stays.
std::optional<std::string> PercentDecode(const std::string& text, bool keep_slash = false);

}  // namespace infrashare::http
