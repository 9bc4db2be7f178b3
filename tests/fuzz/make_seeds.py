#!/usr/bin/python3
"""Writes the committed seed corpus of every fuzz target (tests/fuzz/corpus/<target>/seed-*): a few
valid inputs in each target's input format, so that fuzzing starts from inputs that get past the
parsers. Run from anywhere with Debian's python3 (python3-protobuf); the generated Python client
supplies the messages. Regression inputs (regression-*) are added by hand next to the seeds."""

import datetime
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
sys.dont_write_bytecode = True

from infrashare.auth.v1 import auth_pb2  # noqa: E402
from infrashare.desk.v1 import desk_pb2  # noqa: E402
from infrashare.registry.v1 import registry_pb2 as reg  # noqa: E402
from infrashare.scheduler.v1 import scheduler_pb2 as sch  # noqa: E402


def seconds(text):
    return int(
        datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc).timestamp()
    )


def stamp(message, text):
    message.seconds = seconds(text)


def part(data):
    return struct.pack("<H", len(data)) + data


def write(target, name, data):
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "seed-" + name), "wb") as f:
        f.write(data)


def resource():
    r = reg.Resource(
        display_name="Lasrobot",
        description="Cobot voor lassen",
        kind=reg.RESOURCE_KIND_EQUIPMENT,
        owner_organization_id="org-a",
        shared_with_network_ids=["net-a"],
        themes=[1, 2],
        tags=["lassen", "robot"],
        time_zone="Europe/Amsterdam",
        capacity=1,
        sme_accessible=True,
    )
    r.location.point.latitude = 52.2215
    r.location.point.longitude = 6.8937
    r.location.region.province = "PV23"
    r.location.address.postal_code = "7511 AB"
    r.location.address.city = "Enschede"
    r.terms.kind = reg.TERMS_KIND_TARIFF
    r.terms.tariff_per_hour_cents = 4500
    r.terms.tariff_per_day_cents = 25000
    r.staff.add(name="Jan de Vries", role=1, email="jan@example.nl", phone="+31 53 123 4567")
    b = r.booking_rules
    b.min_duration_minutes = 30
    b.max_duration_minutes = 480
    b.lead_time_minutes = 60
    b.max_advance_days = 180
    b.buffer_before_minutes = 15
    b.buffer_after_minutes = 15
    b.quota_hours = 40
    b.sme_share_percent = 20
    b.sme_release_days = 7
    return r


def availability_request():
    a = reg.PublishAvailabilityRequest(resource_id="res-a")
    a.rules.add(
        rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        start_time="08:00",
        duration_minutes=600,
        valid_from="2026-01-01",
    )
    a.rules.add(
        rrule="FREQ=MONTHLY;BYDAY=1SA;COUNT=24",
        start_time="02:30",
        duration_minutes=240,
        valid_from="2026-01-01",
        valid_until="2028-12-31",
    )
    c = a.closures.add(kind=1, reason="Kerst")
    stamp(c.start_time, "2026-12-24T00:00:00")
    stamp(c.end_time, "2027-01-02T00:00:00")
    return a


# ---- request_limits: [method index] [request]
methods = []
for module, service in (
    (auth_pb2, "TokenService"),
    (reg, "RegistryService"),
    (sch, "SchedulerService"),
    (desk_pb2, "DeskService"),
):
    methods += [m.name for m in module.DESCRIPTOR.services_by_name[service].methods]


def request_limits(method, message):
    write("request_limits", method, bytes([methods.index(method)]) + message.SerializeToString())


request_limits("CreateResource", reg.CreateResourceRequest(resource=resource(), request_id="req-1"))
request_limits("PublishAvailability", availability_request())
booking = sch.CreateBookingRequest(resource_id="res-a", title="Les lassen", request_id="req-2")
stamp(booking.start_time, "2027-01-04T08:00:00")
stamp(booking.end_time, "2027-01-04T10:00:00")
request_limits("CreateBooking", booking)
request_limits(
    "SubmitInquiry",
    desk_pb2.SubmitInquiryRequest(
        need_type=2, text="Wie helpt ons met lassen?\n", region="CR13", language="nl"
    ),
)
request_limits(
    "SearchResources",
    reg.SearchResourcesRequest(text_prefix="las", region_codes=["PV23"], page_size=20),
)

# ---- registry_validation: [request type] [week] [request]
org = reg.Organization(
    display_name="Techniek College",
    kind=reg.ORGANIZATION_KIND_VOCATIONAL_SCHOOL,
    sbi_codes=["85.31"],
    website="https://example.nl",
)
org.contacts.add(name="Els", email="els@example.nl")
net = reg.Network(
    display_name="Regio Twente",
    region_codes=["PV23", "CR13"],
    themes=[1],
    member_organization_ids=["org-a", "org-b"],
)
seeds = {
    "create-organization": (0, reg.CreateOrganizationRequest(organization=org)),
    "update-organization": (
        1,
        reg.UpdateOrganizationRequest(organization=org, update_mask={"paths": ["display_name"]}),
    ),
    "create-network": (2, reg.CreateNetworkRequest(network=net)),
    "update-network": (
        3,
        reg.UpdateNetworkRequest(network=net, update_mask={"paths": ["themes", "region_codes"]}),
    ),
    "create-resource": (4, reg.CreateResourceRequest(resource=resource())),
    "update-resource": (
        5,
        reg.UpdateResourceRequest(
            resource=resource(), update_mask={"paths": ["booking_rules", "location.point"]}
        ),
    ),
    "import-resources": (
        6,
        reg.ImportResourcesRequest(resources=[resource(), reg.Resource(display_name="Drukker")]),
    ),
    "publish-availability": (7, availability_request()),
    "search": (
        8,
        reg.SearchResourcesRequest(
            text_prefix="caf", kinds=[reg.RESOURCE_KIND_EQUIPMENT], page_size=5
        ),
    ),
    "list": (9, reg.ListResourcesRequest(page_size=20)),
}
for name, (selector, message) in seeds.items():
    write("registry_validation", name, bytes([selector, 64]) + message.SerializeToString())

# ---- booking_validation: [selector] [now: 3-day steps] [u16 resource] [u16 availability] [request]
published = availability_request().SerializeToString()
recurring = sch.CreateRecurringBookingRequest(
    resource_id="res-a",
    rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=10",
    mode=sch.RECURRENCE_MODE_SKIP_CONFLICTS,
)
stamp(recurring.start_time, "2027-01-04T08:00:00")
stamp(recurring.end_time, "2027-01-04T10:00:00")
shared = reg.Resource(booking_mode=reg.BOOKING_MODE_SHARED_CAPACITY, capacity=12)
shared_booking = sch.CreateBookingRequest(resource_id="res-a", quantity=3)
stamp(shared_booking.start_time, "2027-03-28T00:30:00")
stamp(shared_booking.end_time, "2027-03-28T03:30:00")
rotation = sch.CreateRotationRequestRequest(
    rotation_request=sch.RotationRequest(
        pool_id="pool-a", duration_days=5, units=1, notes="Techniekweek"
    )
)
rotation.rotation_request.location.latitude = 52.0
rotation.rotation_request.location.longitude = 5.1
stamp(rotation.rotation_request.earliest_start_time, "2027-04-01T00:00:00")
stamp(rotation.rotation_request.latest_end_time, "2027-05-01T00:00:00")
for name, selector, res, avail, request in (
    ("booking", 0, resource().SerializeToString(), published, booking),
    ("recurring", 1, resource().SerializeToString(), published, recurring),
    ("shared-across-dst", 0, shared.SerializeToString(), b"", shared_booking),
    ("rotation-request", 2 | 0x80, b"", b"", rotation),
):
    write(
        "booking_validation",
        name,
        bytes([selector, 0]) + part(res) + part(avail) + request.SerializeToString(),
    )

# ---- desk_validation: [request type] [day] [request]
responder = desk_pb2.Responder(
    display_name="Loket Twente",
    skills=[1, 2],
    themes=[1],
    regions=["PV23"],
    languages=["nl", "en"],
    capacity=5,
    time_zone="Europe/Amsterdam",
    radius_km=40,
)
responder.base.latitude = 52.2
responder.base.longitude = 6.9
responder.working_hours.add(
    rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    start_time="09:00",
    duration_minutes=480,
    valid_from="2026-01-01",
)
absence = responder.absences.add()
stamp(absence.start_time, "2027-03-29T00:00:00")
stamp(absence.end_time, "2027-04-02T00:00:00")
inquiry = desk_pb2.SubmitInquiryRequest(
    need_type=2, themes=[1], region="CR13", text="Wie leidt ons op?", urgency=1, language="nl"
)
inquiry.location.latitude = 52.3
inquiry.location.longitude = 6.7
inquiry.contact.name = "Piet"
inquiry.contact.email = "piet@example.nl"
for name, selector, message in (
    ("create-responder", 0, desk_pb2.CreateResponderRequest(responder=responder)),
    ("update-responder", 1, desk_pb2.UpdateResponderRequest(responder=responder)),
    ("submit-inquiry", 2, inquiry),
    ("resolve", 3, desk_pb2.ResolveInquiryRequest(id="inq-1", outcome=1, note="Opgelost")),
    (
        "feedback",
        4,
        desk_pb2.RecordFeedbackRequest(id="inq-1", feedback={"score": 5, "comment": "Top"}),
    ),
):
    write("desk_validation", name, bytes([selector, 58]) + message.SerializeToString())

# ---- rrule: [u16 DTSTART day after 2020-01-01] [zone] [u16 minute] [u16 duration] [weeks] [days] [text]
rules = {
    "weekdays": (2557, 0, 8 * 60, 480, 12, 14, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
    "last-friday": (2557, 1, 17 * 60, 90, 0, 40, "FREQ=MONTHLY;BYDAY=-1FR;COUNT=12"),
    "week-numbers": (
        2557,
        2,
        2 * 60 + 15,
        60,
        50,
        30,
        "FREQ=YEARLY;BYWEEKNO=1,-1;BYDAY=MO;WKST=SU",
    ),
    "every-third-day": (2600, 3, 150, 1440, 2, 20, "FREQ=DAILY;INTERVAL=3;UNTIL=20271231T000000Z"),
    "month-end": (2557, 5, 600, 120, 10, 64, "FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1"),
    "year-days": (
        2557,
        4,
        0,
        10080,
        40,
        64,
        "FREQ=YEARLY;BYYEARDAY=1,100,-1;BYMONTH=1,4,12;UNTIL=20300101",
    ),
}
for name, (day, zone, minute, duration, weeks, days, text) in rules.items():
    write(
        "rrule",
        name,
        struct.pack("<HBHHBB", day, zone, minute, duration, weeks, days) + text.encode(),
    )

# ---- stored_records: [decoder] [record]
ms = lambda text: str(seconds(text) * 1000)  # noqa: E731
stored_booking = {
    "id": "res-a.abcdefghijkl",
    "res": "res-a",
    "org": "org-b",
    "s": ms("2027-01-04T08:00:00"),
    "e": ms("2027-01-04T10:00:00"),
    "bs": ms("2027-01-04T07:45:00"),
    "be": ms("2027-01-04T10:15:00"),
    "q": "1",
    "st": "CONFIRMED",
    "t": "Les lassen",
    "n": "",
    "hx": "0",
    "cr": ms("2026-12-01T10:00:00"),
    "up": ms("2026-12-01T10:00:00"),
    "sr": "",
    "v": "3",
}
entry = {
    "id": "res-a.mnopqrstuvwx",
    "res": "res-a",
    "org": "org-c",
    "s": ms("2027-01-04T08:00:00"),
    "e": ms("2027-01-04T10:00:00"),
    "q": "2",
    "st": "WAITING",
    "bk": "",
    "t": "Wachten",
    "cr": ms("2026-12-02T10:00:00"),
}
stored_inquiry = {
    "id": "inq-1",
    "net": "net-a",
    "eo": "org-a",
    "nt": "2",
    "th": "1,3",
    "rg": "CR13",
    "gp": "52.2,6.9",
    "tx": "Wie helpt?",
    "ur": "1",
    "lg": "nl",
    "sme": "1",
    "st": "OFFERED",
    "ot": "rsp-a,rsp-b",
    "od": ms("2027-01-04T12:00:00"),
    "at": "1",
    "el": "0",
    "fs": "4",
    "fr": "1",
    "ft": ms("2027-01-10T12:00:00"),
    "cr": ms("2027-01-04T08:00:00"),
    "v": "7",
}
history = {
    "t": int(ms("2027-01-04T08:00:00")),
    "k": "OFFERED",
    "a": "tok-1",
    "r": "rsp-a",
    "o": "org-a",
    "n": "eerste ronde",
    "l": 1,
}
write("stored_records", "booking", b"\x00" + json.dumps(stored_booking).encode())
write("stored_records", "waitlist-entry", b"\x01" + json.dumps(entry).encode())
write("stored_records", "inquiry-json", b"\x02" + json.dumps(stored_inquiry).encode())
write("stored_records", "history", b"\x03" + json.dumps(history).encode())
write(
    "stored_records",
    "inquiry-hash",
    b"\x04" + b"\x00".join(f"{k}\x00{v}".encode() for k, v in stored_inquiry.items()),
)
stored_resource = resource()
stored_resource.id = "res-a"
stored_resource.etag = "4"
stored_availability = reg.Availability(
    resource_id="res-a",
    rules=availability_request().rules,
    closures=availability_request().closures,
)
records = b""
for kind, message in (
    (0, reg.Organization(id="org-a", display_name="Techniek College", kind=2, sme=False)),
    (1, reg.Network(id="net-a", display_name="Twente", member_organization_ids=["org-a"])),
    (2, stored_resource),
    (3, stored_availability),
):
    records += bytes([kind]) + part(message.SerializeToString())
write("stored_records", "registry-records", b"\x05" + records)

# ---- resource_csv: [delimiter: 0 detect, 1 ';', 2 ','] [file]
write(
    "resource_csv",
    "dutch-excel",
    b"\x00"
    + (
        "\ufeffdisplay_name;kind;owner_organization_id;latitude;longitude;capacity;themes;sme_accessible\r\n"
        'Lasrobot;equipment;org-a;52,2215;6,8937;1;"manufacturing;energy";ja\r\n'
        ";;;;;;;\r\n"
    ).encode(),
)
write(
    "resource_csv",
    "quoted-lines",
    b"\x02"
    + (
        "id,display_name,description,booking_mode,capacity,tags\n"
        'res-a,"Lab ""Zuid""","twee\nregels",shared-capacity,12,"a;b"\n'
        "res-b,Drukker,,exclusive,1.5,\n"
    ).encode(),
)
