// The CLI's CSV import (clients/cpp/cli/resource_csv.h) on any file: the first byte picks the
// delimiter (detected, ';' or ','), the rest is the file. It reads rows or refuses, never more
// rows than the file has lines, and every row it reads is one the registry's validation can judge.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/resource_csv.h"
#include "services/common/errors.h"
#include "services/registry/validation.h"
#include "tests/fuzz/invariant.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using infrashare::fuzz::Require;
  if (size == 0) return 0;
  constexpr char kDelimiters[] = {0, ';', ','};
  const char delimiter = kDelimiters[data[0] % 3];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto csv = infrashare::cli::ReadResourceCsv(text, delimiter);
  // libcsv ends a record at LF, CRLF or a lone CR.
  size_t lines = 1;
  for (size_t i = 0; i < text.size(); ++i)
    lines += text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'));
  Require(csv.rows.size() + csv.refused_rows < lines || (csv.rows.empty() && csv.refused_rows == 0),
          "rows read and refused are fewer than the file's lines (the header is one)");
  if (!csv.refusal.empty())
    Require(csv.rows.empty() && csv.errors.empty(), "a refused file yields no rows");
  for (const auto& row : csv.rows) {
    Require(!row.origin.empty(), "a row says where it came from");
    auto resource = row.resource;
    infrashare::registry::ApplyDefaults(&resource);
    infrashare::FieldErrors errors;
    infrashare::registry::Validate(resource, "resource", &errors);
  }
  return 0;
}
