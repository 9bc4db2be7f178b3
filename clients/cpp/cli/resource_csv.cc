#include "cli/resource_csv.h"

#include <csv.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "cli/app.h"

namespace infrashare::cli {

const char kCsvColumnsHelp[] = R"(CSV files
  A header line names the columns, in any order; a column the importer does not know refuses the
  whole file (a misspelt column would lose its data):
    id, display_name, description, kind, mobility, owner_organization_id, parent_resource_id,
    latitude, longitude, province, corop, municipality, themes, tags, shared_with_network_ids,
    booking_mode, capacity, access_policy, sme_accessible, training_required, approval_required,
    time_zone, url
  Cells are separated by ',' or by ';' (as Dutch Excel saves), whichever the header line has;
  --delimiter says it instead. Quoted cells may hold the delimiter, quotes ("") and line breaks.
  A UTF-8 byte order mark and CRLF line ends are fine. themes, tags and shared_with_network_ids
  hold several values separated by ';' (quote that cell in a ';' file).
  A row without id is known by its owner and display name (case and accents aside): importing the
  same file again updates those resources instead of adding them twice, and rows that change
  nothing are left alone. A renamed row without id becomes a new resource.
Numbers (latitude, longitude, capacity)
  A point is always the decimal point. A comma is the decimal comma only in a ';'-separated file
  (52,1 is 52.1 there); in a ','-separated file a comma in a number is refused, as it could as
  well group thousands. Refused too: a number with both a point and a comma, digit grouping,
  anything after the number, and a fraction in capacity.
Booleans: true/false, yes/no, ja/nee, 1/0, waar/onwaar.
Errors name the file's line (the header is line 1; a record with line breaks in a cell counts from
the line it starts on). A refused row is skipped, the others are imported, and the exit code is 1.)";

namespace {

using registry::v1::Resource;

constexpr size_t kMaxQuoted = 40;  // bytes of a cell repeated in an error message

std::string Trim(std::string_view text) {
  return std::string(absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())));
}

// A cell as an error message repeats it: quoted, and cut short (on a character boundary).
std::string Quote(std::string_view cell) {
  if (cell.size() <= kMaxQuoted) return "\"" + std::string(cell) + "\"";
  size_t end = kMaxQuoted;
  while (end > 0 && (static_cast<unsigned char>(cell[end]) & 0xC0) == 0x80) --end;
  return "\"" + std::string(cell.substr(0, end)) + "…\"";
}

std::vector<std::string> SplitList(const std::string& cell) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t end; start <= cell.size(); start = end + 1) {
    end = cell.find(';', start);
    if (end == std::string::npos) end = cell.size();
    if (std::string item = Trim(std::string_view(cell).substr(start, end - start)); !item.empty())
      out.push_back(std::move(item));
  }
  return out;
}

// ---- the CSV grammar: libcsv, plus the line each record starts on
// --------------------------------

struct Record {
  int line;  // 1-based, where the record starts
  std::vector<std::string> cells;
};

// libcsv reports fields and records but no positions, so the text goes in one physical line at a
// time: a record starts on the first non-blank line fed while no record was open.
class RecordReader {
 public:
  explicit RecordReader(char delimiter) {
    csv_init(&parser_, CSV_STRICT | CSV_STRICT_FINI);
    csv_set_delim(&parser_, static_cast<unsigned char>(delimiter));
  }
  ~RecordReader() { csv_free(&parser_); }
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  // Every record of `text`; false with *error when the quoting is broken.
  bool Read(std::string_view text, std::vector<Record>* records, std::string* error) {
    records_ = records;
    for (size_t at = 0; at < text.size();) {
      const size_t newline = text.find('\n', at);
      const size_t end = newline == std::string_view::npos ? text.size() : newline + 1;
      const std::string_view physical = text.substr(at, end - at);
      ++line_;
      if (!open_) start_ = line_;
      ended_ = false;
      if (csv_parse(&parser_, physical.data(), physical.size(), OnField, OnRecord, this) !=
          physical.size()) {
        *error =
            "line " + std::to_string(line_) +
            ": a quote in the middle of a cell; a cell with quotes, the delimiter or a line break "
            "must be quoted whole, with its quotes doubled";
        return false;
      }
      if (ended_) {
        open_ = false;
      } else if (!Trim(physical).empty()) {
        open_ = true;
      }
      at = end;
    }
    if (csv_fini(&parser_, OnField, OnRecord, this) != 0) {
      *error = "line " + std::to_string(start_) + ": a quoted cell is never closed";
      return false;
    }
    return true;
  }

 private:
  static void OnField(void* data, size_t size, void* self) {
    auto* reader = static_cast<RecordReader*>(self);
    std::string cell =
        size == 0 ? std::string() : std::string(static_cast<const char*>(data), size);
    // A line break inside a quoted cell is a line break, whatever the file's line ends.
    for (size_t crlf; (crlf = cell.find("\r\n")) != std::string::npos;) cell.erase(crlf, 1);
    reader->cells_.push_back(std::move(cell));
  }
  static void OnRecord(int, void* self) {
    auto* reader = static_cast<RecordReader*>(self);
    reader->records_->push_back({reader->start_, std::move(reader->cells_)});
    reader->cells_.clear();
    reader->ended_ = true;
  }

  csv_parser parser_;
  std::vector<Record>* records_ = nullptr;
  std::vector<std::string> cells_;
  int line_ = 0, start_ = 1;
  bool open_ = false, ended_ = false;
};

// The header line's delimiter: whichever of ';' and ',' it has outside quotes; ',' when it has
// neither (one column), 0 when it has both.
char DetectDelimiter(std::string_view text) {
  bool quoted = false, semicolon = false, comma = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n') break;
    semicolon = semicolon || c == ';';
    comma = comma || c == ',';
  }
  if (semicolon && comma) return 0;
  return semicolon ? ';' : ',';
}

// ---- what cells mean ----------------------------------------------------------------------------

// A number as spreadsheets write it (docs/DECISIONS.md, "Numbers in imported CSV"); returns what
// is wrong with it, or "" with *out set. The whole cell must be the number.
std::string ReadNumber(const std::string& cell, char delimiter, bool whole, double* out) {
  std::string text = Trim(cell);
  const size_t commas = std::count(text.begin(), text.end(), ',');
  if (commas > 0 && text.find('.') != std::string::npos)
    return Quote(cell) +
           " has both a point and a comma; write it without digit grouping, with a point "
           "as the decimal point, e.g. 1234.5";
  if (commas > 0) {
    std::replace(text.begin(), text.end(), ',', '.');
    if (delimiter == ',')
      return Quote(cell) + " has a comma in a comma-separated file" +
             (commas == 1 ? "; write " + text : "; write it without digit grouping");
  }
  if (std::count(text.begin(), text.end(), '.') > 1)
    return Quote(cell) + " groups its digits; write it without separators";
  if (whole && text.find('.') != std::string::npos) return Quote(cell) + " must be a whole number";
  const char* begin = text.data();
  const char* end = begin + text.size();
  std::from_chars_result read;
  if (whole) {
    int value = 0;
    read = std::from_chars(begin, end, value);
    *out = value;
  } else {
    read = std::from_chars(begin, end, *out, std::chars_format::fixed);
  }
  if (read.ec == std::errc::result_out_of_range) return Quote(cell) + " is out of range";
  if (text.empty() || read.ec != std::errc() || read.ptr != end)
    return Quote(cell) + " is not a number";
  return "";
}

std::string ReadBool(const std::string& cell, bool* out) {
  static const std::set<std::string> kTrue = {"true", "yes", "ja", "1", "waar"};
  static const std::set<std::string> kFalse = {"false", "no", "nee", "0", "onwaar"};
  const std::string word = absl::AsciiStrToLower(Trim(cell));
  if (kTrue.count(word) || kFalse.count(word)) {
    *out = kTrue.count(word) > 0;
    return "";
  }
  return Quote(cell) + " is not one of true, false, yes, no, ja, nee, 1, 0, waar, onwaar";
}

// "lab", "living-lab" or "RESOURCE_KIND_LIVING_LAB"; UNSPECIFIED is not a value one can choose.
std::string ReadEnum(const google::protobuf::EnumDescriptor* values, const std::string& cell,
                     int* out) {
  if (const auto* value = FindValue(values, Trim(cell))) {
    *out = value->number();
    return "";
  }
  const std::vector<std::string> names = ShortNames(values);
  std::string problem = Quote(cell) + " is not one of " + absl::StrJoin(names, ", ");
  if (const std::string closest = Closest(Trim(cell), names); !closest.empty())
    problem += "; did you mean " + closest + "?";
  return problem;
}

// What a column does with a non-empty cell; returns what is wrong with the cell, or "".
using Setter = std::function<std::string(const std::string& cell, char delimiter, Resource* r)>;

template <typename Set>
Setter Text(Set set) {
  return [set](const std::string& cell, char, Resource* r) {
    set(r, cell);
    return std::string();
  };
}

template <typename Set>
Setter Number(bool whole, Set set) {
  return [whole, set](const std::string& cell, char delimiter, Resource* r) {
    double value = 0;
    std::string problem = ReadNumber(cell, delimiter, whole, &value);
    if (problem.empty()) set(r, value);
    return problem;
  };
}

template <typename Set>
Setter Bool(Set set) {
  return [set](const std::string& cell, char, Resource* r) {
    bool value = false;
    std::string problem = ReadBool(cell, &value);
    if (problem.empty()) set(r, value);
    return problem;
  };
}

template <typename Set>
Setter Enum(const google::protobuf::EnumDescriptor* values, Set set) {
  return [values, set](const std::string& cell, char, Resource* r) {
    int value = 0;
    std::string problem = ReadEnum(values, cell, &value);
    if (problem.empty()) set(r, value);
    return problem;
  };
}

template <typename Add>
Setter List(Add add) {
  return [add](const std::string& cell, char, Resource* r) {
    for (const auto& item : SplitList(cell)) add(r, item);
    return std::string();
  };
}

const std::map<std::string, Setter>& Columns() {
  using namespace registry::v1;
  static const auto* columns = new std::map<std::string, Setter>{
      {"id", Text([](Resource* r, const std::string& v) { r->set_id(Trim(v)); })},
      {"display_name", Text([](Resource* r, const std::string& v) { r->set_display_name(v); })},
      {"description", Text([](Resource* r, const std::string& v) { r->set_description(v); })},
      {"owner_organization_id",
       Text([](Resource* r, const std::string& v) { r->set_owner_organization_id(Trim(v)); })},
      {"parent_resource_id", Text([](Resource* r, const std::string& v) { r->set_parent_resource_id(Trim(v)); })},
      {"time_zone", Text([](Resource* r, const std::string& v) { r->set_time_zone(Trim(v)); })},
      {"url", Text([](Resource* r, const std::string& v) { r->set_url(Trim(v)); })},
      {"province",
       Text([](Resource* r, const std::string& v) { r->mutable_location()->mutable_region()->set_province(Trim(v)); })},
      {"corop",
       Text([](Resource* r, const std::string& v) { r->mutable_location()->mutable_region()->set_corop(Trim(v)); })},
      {"municipality", Text([](Resource* r, const std::string& v) {
         r->mutable_location()->mutable_region()->set_municipality(Trim(v));
       })},
      {"latitude", Number(false, [](Resource* r, double v) { r->mutable_location()->mutable_point()->set_latitude(v); })},
      {"longitude",
       Number(false, [](Resource* r, double v) { r->mutable_location()->mutable_point()->set_longitude(v); })},
      {"capacity", Number(true, [](Resource* r, double v) { r->set_capacity(static_cast<int>(v)); })},
      {"kind", Enum(ResourceKind_descriptor(),
                    [](Resource* r, int v) { r->set_kind(static_cast<ResourceKind>(v)); })},
      {"mobility", Enum(Mobility_descriptor(),
                        [](Resource* r, int v) { r->set_mobility(static_cast<Mobility>(v)); })},
      {"booking_mode", Enum(BookingMode_descriptor(),
                            [](Resource* r, int v) { r->set_booking_mode(static_cast<BookingMode>(v)); })},
      {"access_policy", Enum(AccessPolicy_descriptor(),
                             [](Resource* r, int v) { r->set_access_policy(static_cast<AccessPolicy>(v)); })},
      {"themes", [](const std::string& cell, char, Resource* r) {
         for (const auto& item : SplitList(cell)) {
           int value = 0;
           if (std::string problem = ReadEnum(Theme_descriptor(), item, &value); !problem.empty())
             return problem;
           r->add_themes(static_cast<Theme>(value));
         }
         return std::string();
       }},
      {"tags", List([](Resource* r, const std::string& v) { r->add_tags(v); })},
      {"shared_with_network_ids", List([](Resource* r, const std::string& v) { r->add_shared_with_network_ids(v); })},
      {"sme_accessible", Bool([](Resource* r, bool v) { r->set_sme_accessible(v); })},
      {"training_required", Bool([](Resource* r, bool v) { r->set_training_required(v); })},
      {"approval_required", Bool([](Resource* r, bool v) { r->set_approval_required(v); })},
  };
  return *columns;
}

// The field a column sets, as an update mask names it.
std::string PathOf(const std::string& column) {
  if (column == "province" || column == "corop" || column == "municipality")
    return "location.region." + column;
  if (column == "latitude" || column == "longitude") return "location.point." + column;
  return column;
}

}  // namespace

bool IsUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t length;
    uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
      return false;
    i += length;
  }
  return true;
}

std::string Windows1252ToUtf8(std::string_view text) {
  // 0x80-0x9F; 0xA0-0xFF are Latin-1, the same code points.
  static constexpr uint16_t kHigh[32] = {
      0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (unsigned char c : text) {
    const uint32_t code = c < 0x80 ? c : c < 0xA0 ? kHigh[c - 0x80] : c;
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }
  return out;
}

ResourceCsv ReadResourceCsv(std::string_view text, char delimiter) {
  ResourceCsv out;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // Excel's "CSV UTF-8"
  // Not UTF-8: Excel's plain "CSV" on Windows writes the ANSI code page, 1252 in the Netherlands.
  std::string converted;
  if (!IsUtf8(text)) {
    converted = Windows1252ToUtf8(text);
    text = converted;
    out.note =
        "the file is not UTF-8; it was read as Windows-1252, the encoding of Excel's \"CSV\" "
        "on Windows (\"CSV UTF-8\" avoids the guess)";
  }
  if (delimiter == 0) delimiter = DetectDelimiter(text);
  if (delimiter == 0) {
    out.refusal =
        "line 1: the header has both ';' and ',' between names; say which one separates the "
        "columns with --delimiter";
    return out;
  }
  std::vector<Record> records;
  if (!RecordReader(delimiter).Read(text, &records, &out.refusal)) return out;
  if (records.empty()) return out;

  // The header: every named column must be known; nameless ones must stay empty.
  std::vector<const Setter*> setters;
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& cell : records.front().cells) {
    const std::string name = absl::AsciiStrToLower(Trim(cell));
    if (!name.empty() && !seen.insert(name).second) {
      out.refusal = "line 1: the column " + Quote(name) + " appears twice";
      return out;
    }
    auto it = Columns().find(name);
    if (!name.empty() && it == Columns().end()) {
      out.refusal = "line 1: unknown column " + Quote(name) + "; the columns are:";
      for (const auto& [known, setter] : Columns()) out.refusal += " " + known;
      return out;
    }
    setters.push_back(name.empty() ? nullptr : &it->second);
    names.push_back(name);
  }

  for (size_t k = 1; k < records.size(); ++k) {
    const Record& record = records[k];
    const std::string origin = "line " + std::to_string(record.line);
    if (std::all_of(record.cells.begin(), record.cells.end(),
                    [](const auto& c) { return Trim(c).empty(); }))
      continue;  // an empty row, as spreadsheets write them
    std::vector<std::string> problems;
    if (record.cells.size() != setters.size()) {
      problems.push_back(origin + ": has " + std::to_string(record.cells.size()) +
                         " cells, the header " + std::to_string(setters.size()));
    } else {
      Resource resource;
      google::protobuf::FieldMask fields;
      for (size_t i = 0; i < setters.size(); ++i) {
        if (Trim(record.cells[i]).empty()) continue;
        if (!setters[i]) {
          problems.push_back(origin + ": column " + std::to_string(i + 1) +
                             " has no name in the header");
          continue;
        }
        if (std::string problem = (*setters[i])(record.cells[i], delimiter, &resource);
            !problem.empty())
          problems.push_back(origin + ": " + names[i] + ": " + problem);
        if (names[i] != "id" && names[i] != "owner_organization_id")
          fields.add_paths(PathOf(names[i]));
      }
      if (problems.empty()) out.rows.push_back({std::move(resource), origin, std::move(fields)});
    }
    if (!problems.empty()) {
      ++out.refused_rows;
      out.errors.insert(out.errors.end(), problems.begin(), problems.end());
    }
  }
  return out;
}

}  // namespace infrashare::cli
