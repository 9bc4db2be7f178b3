// infrashare-openapi <descriptor set> <openapi.json>: the REST API's OpenAPI document from protoc's
// --descriptor_set_out (with --include_imports --include_source_info), run by the build.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "google/protobuf/descriptor.pb.h"
#include "services/http/openapi/openapi_document.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: infrashare-openapi <descriptor set> <openapi.json>\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  google::protobuf::FileDescriptorSet files;
  if (!in || !files.ParseFromString(bytes.str())) {
    std::cerr << "infrashare-openapi: cannot read a descriptor set from " << argv[1] << "\n";
    return 1;
  }
  absl::StatusOr<nlohmann::json> document = infrashare::openapi::OpenApiDocument(files);
  if (!document.ok()) {
    std::cerr << "infrashare-openapi: " << document.status().message() << "\n";
    return 1;
  }
  // Written aside and renamed, so that a failed run leaves no half document for the build.
  std::string temporary = std::string(argv[2]) + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << document->dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    if (!out.flush()) {
      std::cerr << "infrashare-openapi: cannot write " << temporary << "\n";
      return 1;
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, argv[2], error);
  if (error) {
    std::cerr << "infrashare-openapi: cannot write " << argv[2] << ": " << error.message() << "\n";
    return 1;
  }
  return 0;
}
