// Validation and defaults for registry objects. The single place that decides what a valid
// organisation, network, resource or availability is; every handler and the importer use it.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "infrashare/registry/v1/registry.pb.h"
#include "services/common/errors.h"

namespace infrashare::registry {

// Fills in defaults for fields the caller left unset (mobility from kind, time zone, capacity,
// ...).
void ApplyDefaults(v1::Organization* organization);
void ApplyDefaults(v1::Network* network);
void ApplyDefaults(v1::Resource* resource);

// Adds one violation per bad field; `prefix` is the request field holding the object.
void Validate(const v1::Organization& organization, absl::string_view prefix, FieldErrors* errors);
void Validate(const v1::Network& network, absl::string_view prefix, FieldErrors* errors);
void Validate(const v1::Resource& resource, absl::string_view prefix, FieldErrors* errors);
void ValidateAvailability(const v1::PublishAvailabilityRequest& request, FieldErrors* errors);

// Checks an update mask against the message type; refuses server-owned and immutable paths,
// naming `mask_field`.paths[i]. An empty mask means "every mutable field".
absl::Status CheckUpdateMask(const google::protobuf::FieldMask& mask,
                             const google::protobuf::Descriptor* descriptor,
                             absl::string_view object_field,
                             absl::string_view mask_field = "update_mask");
// Copies the masked fields (or all mutable fields) of `patch` onto `target`.
// The paths of every field `patch` sets, down to leaves of nested messages (lists and well-known
// types whole), without id, etag, audit and owner: what an imported row changes.
google::protobuf::FieldMask PresentFields(const google::protobuf::Message& patch);
void ApplyUpdate(const google::protobuf::Message& patch, const google::protobuf::FieldMask& mask,
                 google::protobuf::Message* target);

// A search's facet values, area, text and order (its page size and token are checked by the
// search index, which issues the tokens).
void ValidateSearch(const v1::SearchResourcesRequest& request, FieldErrors* errors);

}  // namespace infrashare::registry
