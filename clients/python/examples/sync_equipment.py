#!/usr/bin/env python3
"""Keep a partner's equipment list in sync with the infrashare registry.

The partner's own system exports its equipment as JSON (a list of objects with id, name,
latitude, longitude and optional themes); this script upserts every item as a resource of the
organisation and retires the registry's equipment of that organisation that the list no longer
has. Run it from cron after each export:

    INFRASHARE_SERVER=127.0.0.1:50051 INFRASHARE_TOKEN=... \\
        python3 sync_equipment.py --org fablab-deventer equipment.json
"""

import argparse
import json
import os
import sys

from infrashare import Client, InfrashareError
from infrashare.registry.v1 import registry_pb2


def to_resource(item, organization):
    return registry_pb2.Resource(
        id=item["id"],
        display_name=item["name"],
        kind=registry_pb2.RESOURCE_KIND_EQUIPMENT,
        owner_organization_id=organization,
        themes=[registry_pb2.Theme.Value("THEME_" + t.upper()) for t in item.get("themes", [])],
        location=registry_pb2.Location(
            point=registry_pb2.GeoPoint(latitude=item["latitude"], longitude=item["longitude"])
        ),
        lifecycle=registry_pb2.Lifecycle(state=registry_pb2.LIFECYCLE_STATE_ACTIVE),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--org", required=True, help="the organisation that owns the equipment")
    parser.add_argument("file", help="the exported equipment list (JSON)")
    args = parser.parse_args()
    with open(args.file, encoding="utf-8") as f:
        items = json.load(f)

    with Client(
        os.environ.get("INFRASHARE_SERVER", "127.0.0.1:50051"), os.environ["INFRASHARE_TOKEN"]
    ) as client:
        result = client.call(
            client.registry.ImportResources,
            registry_pb2.ImportResourcesRequest(
                resources=[to_resource(item, args.org) for item in items]
            ),
        )
        for row in result.rows:
            if not row.ok:
                print(
                    f"row {row.row} ({items[row.row].get('id')}): {row.field}: {row.error}",
                    file=sys.stderr,
                )

        # Equipment the list no longer has is retired, not deleted: its bookings stay readable.
        wanted = {item["id"] for item in items}
        retired = 0
        for resource in client.pages(
            client.registry.ListResources,
            registry_pb2.ListResourcesRequest(owner_organization_id=args.org),
            "resources",
        ):
            if (
                resource.kind != registry_pb2.RESOURCE_KIND_EQUIPMENT
                or resource.id in wanted
                or resource.lifecycle.state == registry_pb2.LIFECYCLE_STATE_RETIRED
            ):
                continue
            update = registry_pb2.UpdateResourceRequest(
                resource=registry_pb2.Resource(
                    id=resource.id,
                    etag=resource.etag,
                    lifecycle=registry_pb2.Lifecycle(state=registry_pb2.LIFECYCLE_STATE_RETIRED),
                )
            )
            update.update_mask.paths.append("lifecycle")
            try:
                client.call(client.registry.UpdateResource, update)
                retired += 1
            except InfrashareError as error:
                print(f"{resource.id}: {error}", file=sys.stderr)

    print(
        f"{result.created} created, {result.updated} updated, {result.failed} failed, {retired} retired"
    )
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
