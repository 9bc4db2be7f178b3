#include "services/http/openapi/proto_comments.h"

#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace infrashare::openapi {
namespace {

// protoc keeps what follows "//" verbatim: one space to drop from every line, the indentation of
// diagrams after it to keep.
std::string CleanComment(const std::string& raw) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(raw, '\n')) {
    absl::ConsumePrefix(&line, " ");
    lines.emplace_back(absl::StripTrailingAsciiWhitespace(line));
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  size_t first = 0;
  while (first < lines.size() && lines[first].empty()) ++first;
  lines.erase(lines.begin(), lines.begin() + first);
  return absl::StrJoin(lines, "\n");
}

}  // namespace

std::string JoinComments(const std::string& leading, const std::string& trailing) {
  std::string text = CleanComment(leading);
  std::string after = CleanComment(trailing);
  if (!text.empty() && !after.empty()) text += "\n\n";
  return text + after;
}

std::string FirstSentence(const std::string& comment) {
  std::string paragraph(comment.substr(0, comment.find("\n\n")));
  for (char& c : paragraph) {
    if (c == '\n') c = ' ';
  }
  for (size_t end = paragraph.find('.'); end != std::string::npos;
       end = paragraph.find('.', end + 1)) {
    bool abbreviation = end >= 3 && (paragraph.compare(end - 3, 3, "e.g") == 0 ||
                                     paragraph.compare(end - 3, 3, "i.e") == 0);
    if (abbreviation) continue;
    if (end + 1 == paragraph.size() || paragraph[end + 1] == ' ')
      return paragraph.substr(0, end + 1);
  }
  return paragraph;
}

}  // namespace infrashare::openapi
