// What a binary was built from: the project's version (project() in CMakeLists.txt), the git
// commit when CMake last configured the build ("unknown" outside a git checkout, or
// -DINFRASHARE_GIT_COMMIT=...) and the CMake build type. The values live in one generated file
// (build_info_values.cc.in), so a new commit recompiles that file alone.
#pragma once

#include <string>
#include <string_view>

namespace infrashare {

struct BuildInfo {
  std::string_view version;
  std::string_view commit;
  std::string_view build_type;
};

const BuildInfo& BuildInfoOfThisBinary();

// What `--version` prints: "<program> <version> (commit <commit>, <build type> build)".
std::string VersionLine(std::string_view program);

}  // namespace infrashare
