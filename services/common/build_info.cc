#include "services/common/build_info.h"

namespace infrashare {

std::string VersionLine(std::string_view program) {
  const BuildInfo& build = BuildInfoOfThisBinary();
  std::string line(program);
  line.append(" ").append(build.version);
  line.append(" (commit ").append(build.commit);
  line.append(", ").append(build.build_type).append(" build)");
  return line;
}

}  // namespace infrashare
