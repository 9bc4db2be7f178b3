// The comments of a .proto declaration (SourceCodeInfo, kept by protoc's --include_source_info),
// as prose for documentation: "// " markers' spaces gone, leading and trailing comments joined.
#pragma once

#include <string>

#include "google/protobuf/descriptor.h"

namespace infrashare::openapi {

// The leading comment, then the trailing one as a paragraph of its own; "" when there is none.
std::string JoinComments(const std::string& leading, const std::string& trailing);
template <typename DescriptorT>
std::string CommentOf(const DescriptorT& descriptor) {
  google::protobuf::SourceLocation location;
  if (!descriptor.GetSourceLocation(&location)) return "";
  return JoinComments(location.leading_comments, location.trailing_comments);
}

// The first sentence of `comment`'s first paragraph, on one line (an OpenAPI summary).
std::string FirstSentence(const std::string& comment);

}  // namespace infrashare::openapi
