// The registry facts the scheduler decides with — resources (rules, capacity, owner, sharing),
// their availability, organisations (SME or not) and network membership — are the process's
// registry read model (services/registry/read_model.h): the scheduler keeps no copy of its own.
#pragma once

#include "services/registry/read_model.h"

namespace infrashare::scheduler {

namespace reg = ::infrashare::registry;

using Catalog = reg::RegistryReadModel;
using BookableResource = reg::ResourceFacts;
using OrganizationFacts = reg::OrganizationFacts;

}  // namespace infrashare::scheduler
