// Resources from a CSV file as people bring them: written by Excel (Dutch or English), LibreOffice
// or a script. The CSV grammar is libcsv's; this file decides what the cells mean.
#pragma once

#include <google/protobuf/field_mask.pb.h>

#include <string>
#include <string_view>
#include <vector>

#include "infrashare/registry/v1/registry.pb.h"

namespace infrashare::cli {

// One resource of an import file and where it is in the file ("line 7", "item 3"), for reports.
struct ImportRow {
  registry::v1::Resource resource;
  std::string origin;
  // The fields the row's cells set (a CSV's "nee" sets approval_required to false); empty for a
  // row whose fields are those it holds (JSON).
  google::protobuf::FieldMask fields;
};

struct ResourceCsv {
  std::vector<ImportRow> rows;
  // Rows refused here, each "line 7: latitude: ..."; a row may have several.
  std::vector<std::string> errors;
  int refused_rows = 0;
  // Why the whole file was refused (an unknown column, broken quotes); empty when it was read.
  std::string refusal;
  // What a person should know about how the file was read (its encoding), or empty.
  std::string note;
};

// The columns, in any order: see kCsvColumnsHelp. `delimiter` is ';' or ',', or 0 to take
// whichever of the two the header line has outside quotes.
ResourceCsv ReadResourceCsv(std::string_view text, char delimiter);

// Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool IsUtf8(std::string_view text);
// Windows-1252 text (what Excel on a Dutch Windows saves as "CSV (gescheiden door
// lijstscheidingsteken)") as UTF-8; the five bytes the code page leaves undefined become U+FFFD.
std::string Windows1252ToUtf8(std::string_view text);

// For --help: the columns and how cells are read.
extern const char kCsvColumnsHelp[];

}  // namespace infrashare::cli
