// Every route of the public HTTP listener, registered in one place.
#pragma once

#include "services/common/config.h"
#include "services/http/public_site.h"
#include "services/registry/read_model.h"

namespace infrashare::http {

// The open-data feeds (/open/...) over the process's one registry read model.
void RegisterRoutes(registry::RegistryReadModel* model, const HttpConfig& config, PublicSite* site);

}  // namespace infrashare::http
