#include "services/http/routes.h"

#include <google/protobuf/util/time_util.h>

#include "services/common/errors.h"
#include "services/http/feeds.h"

namespace infrashare::http {
namespace {

using google::protobuf::util::TimeUtil;

// What every resource feed starts from: the listed resources the filter accepts, in id order.
absl::StatusOr<std::vector<PublishedResource>> Listed(registry::RegistryReadModel* model,
                                                      const HttpQuery& query) {
  auto filter = ParseFeedFilter(query);
  if (!filter.ok()) return filter.status();
  std::vector<PublishedResource> out;
  for (const auto& facts : model->Select([&](const registry::v1::Resource& r) {
         return r.publication().listed() && filter->Accepts(r);
       }))
    if (auto published =
            Publish(facts, model->Organization(facts.resource->owner_organization_id()),
                    model->OrganizationName(facts.resource->owner_organization_id())))
      out.push_back(std::move(*published));
  return out;
}

HttpReply Refused(const absl::Status& status) {
  return Problem(400, std::string(status.message()), ErrorField(status));
}

HttpReply NotReady() {
  HttpReply reply = Problem(503, "the registry is still loading");
  reply.retry_after_s = 1;
  return reply;
}

// A feed of the listed resources, rendered by `render`.
HttpRoute ResourceFeed(
    registry::RegistryReadModel* model, std::string content_type,
    std::function<std::string(const std::vector<PublishedResource>&, const HttpQuery&)> render) {
  return [model, content_type = std::move(content_type),
          render = std::move(render)](const HttpQuery& query) -> HttpReply {
    if (!model->ready()) return NotReady();
    auto listed = Listed(model, query);
    if (!listed.ok()) return Refused(listed.status());
    return {200, content_type, render(*listed, query)};
  };
}

}  // namespace

void RegisterRoutes(registry::RegistryReadModel* model, const HttpConfig& config,
                    PublicSite* site) {
  site->Route("/open/resources.geojson",
              ResourceFeed(model, "application/geo+json",
                           [](const auto& listed, const HttpQuery&) { return GeoJson(listed); }));
  site->Route("/open/resources.jsonld",
              ResourceFeed(model, "application/ld+json",
                           [](const auto& listed, const HttpQuery&) { return JsonLd(listed); }));
  site->Route("/open/resources.csv",
              ResourceFeed(model, "text/csv; charset=utf-8; header=present",
                           [](const auto& listed, const HttpQuery& query) {
                             auto dialect = query.find("dialect");
                             return Csv(listed, dialect != query.end() && dialect->second == "excel"
                                                    ? CsvDialect::kExcel
                                                    : CsvDialect::kRfc4180);
                           }));
  site->Route("/open/catalog.jsonld", [model, config, site](const HttpQuery& query) -> HttpReply {
    if (!query.empty())
      return Problem(400, "the catalogue takes no parameters", query.begin()->first);
    if (!model->ready()) return NotReady();
    CatalogInfo info{site->BaseUrl(),      config.publisher, config.publisher_url,
                     config.contact_email, config.license,   ""};
    auto listed = Listed(model, {});
    if (!listed.ok()) return Refused(listed.status());
    google::protobuf::Timestamp newest;
    for (const auto& p : *listed)
      if (p.resource.audit().update_time() > newest) newest = p.resource.audit().update_time();
    if (newest.seconds() > 0) info.modified = TimeUtil::ToString(newest);
    return {200, "application/ld+json", Catalog(info)};
  });
}

}  // namespace infrashare::http
