"""The Python client against a real server and Redis: a partner's whole day, and typed errors."""

import datetime
import json
import os
import shutil
import subprocess
import sys
import time

import grpc
import pytest

# live_server puts clients/python on sys.path, so it comes before the infrashare imports.
from live_server import ADMIN, SOURCE_DIR, Redis, Server, free_port

from infrashare import Client, InfrashareError, from_datetime, to_datetime
from infrashare._rpc import error_details_pb2, status_pb2
from infrashare.auth.v1 import auth_pb2
from infrashare.desk.v1 import desk_pb2
from infrashare.privacy.v1 import privacy_pb2, privacy_pb2_grpc
from infrashare.registry.v1 import registry_pb2
from infrashare.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc


@pytest.fixture(scope="module")
def server():
    redis = Redis()
    live = Server(redis)
    yield live.address
    live.stop()
    redis.stop()


def test_a_partner_registers_publishes_searches_books_and_cancels(server):
    with Client(server, ADMIN) as admin:
        admin.call(
            admin.registry.CreateOrganization,
            registry_pb2.CreateOrganizationRequest(
                organization_id="py-fablab",
                organization=registry_pb2.Organization(
                    display_name="Fablab Deventer",
                    kind=registry_pb2.ORGANIZATION_KIND_COMPANY,
                    sme=True,
                ),
            ),
        )
        lab = admin.call(
            admin.registry.CreateResource,
            registry_pb2.CreateResourceRequest(
                resource_id="py-laser",
                resource=registry_pb2.Resource(
                    display_name="Lasersnijder Deventer",
                    kind=registry_pb2.RESOURCE_KIND_EQUIPMENT,
                    owner_organization_id="py-fablab",
                    themes=[registry_pb2.THEME_MANUFACTURING],
                    location=registry_pb2.Location(
                        point=registry_pb2.GeoPoint(latitude=52.25, longitude=6.16)
                    ),
                    time_zone="UTC",
                ),
            ),
        )
        assert lab.id == "py-laser"
        availability = admin.call(
            admin.registry.PublishAvailability,
            registry_pb2.PublishAvailabilityRequest(
                resource_id="py-laser",
                rules=[
                    registry_pb2.AvailabilityRule(
                        rrule="FREQ=DAILY",
                        start_time="08:00",
                        duration_minutes=600,
                        valid_from="2026-01-01",
                    )
                ],
            ),
        )
        assert availability.etag

        found = list(
            admin.pages(
                admin.registry.SearchResources,
                registry_pb2.SearchResourcesRequest(text_prefix="lasersnij", page_size=1),
                "hits",
            )
        )
        assert [hit.resource.id for hit in found] == ["py-laser"]

        day = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)).replace(
            hour=9, minute=0, second=0, microsecond=0
        )
        booking = None
        for _ in range(50):  # the scheduler follows the registry: wait for the published hours
            try:
                booking = admin.call(
                    admin.scheduler.CreateBooking,
                    scheduler_pb2.CreateBookingRequest(
                        resource_id="py-laser",
                        organization_id="py-fablab",
                        quantity=1,
                        title="Lasercursus",
                        start_time=from_datetime(day),
                        end_time=from_datetime(day + datetime.timedelta(hours=2)),
                    ),
                )
                break
            except InfrashareError as error:
                assert error.reason == "OUTSIDE_AVAILABILITY", error
                time.sleep(0.1)
        assert booking is not None
        assert booking.state == scheduler_pb2.BOOKING_STATE_CONFIRMED
        assert to_datetime(booking.start_time) == day

        with pytest.raises(InfrashareError) as taken:
            admin.call(
                admin.scheduler.CreateBooking,
                scheduler_pb2.CreateBookingRequest(
                    resource_id="py-laser",
                    organization_id="py-fablab",
                    quantity=1,
                    start_time=from_datetime(day + datetime.timedelta(hours=1)),
                    end_time=from_datetime(day + datetime.timedelta(hours=3)),
                ),
            )
        assert taken.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert taken.value.reason == "SLOT_TAKEN"
        assert "JoinWaitlist" in taken.value.message, taken.value.message
        assert "resource_version" not in taken.value.metadata, taken.value.metadata
        with pytest.raises(InfrashareError) as missing:
            admin.call(admin.scheduler.GetBooking, scheduler_pb2.GetBookingRequest(id="py-nope"))
        assert missing.value.code == grpc.StatusCode.NOT_FOUND
        assert missing.value.metadata == {
            "kind": "booking",
            "id": "py-nope",
        }, missing.value.metadata

        cancelled = admin.call(
            admin.scheduler.CancelBooking,
            scheduler_pb2.CancelBookingRequest(id=booking.id, reason="course moved"),
        )
        assert cancelled.state == scheduler_pb2.BOOKING_STATE_CANCELLED
        listed = list(
            admin.pages(
                admin.scheduler.ListBookings,
                scheduler_pb2.ListBookingsRequest(resource_id="py-laser"),
                "bookings",
            )
        )
        assert [b.id for b in listed] == [booking.id]


def test_a_question_is_routed_accepted_and_answered_through_the_desk(server):
    with Client(server, ADMIN) as admin:
        for org in ("py-bakery", "py-school"):
            admin.call(
                admin.registry.CreateOrganization,
                registry_pb2.CreateOrganizationRequest(
                    organization_id=org,
                    organization=registry_pb2.Organization(
                        display_name=org, kind=registry_pb2.ORGANIZATION_KIND_COMPANY
                    ),
                ),
            )
        admin.call(
            admin.registry.CreateNetwork,
            registry_pb2.CreateNetworkRequest(
                network_id="py-net",
                network=registry_pb2.Network(
                    display_name="Py network", member_organization_ids=["py-bakery", "py-school"]
                ),
            ),
        )
        responder = admin.call(
            admin.desk.CreateResponder,
            desk_pb2.CreateResponderRequest(
                responder=desk_pb2.Responder(
                    organization_id="py-school",
                    display_name="School desk",
                    skills=[desk_pb2.NEED_TYPE_TALENT],
                    capacity=3,
                    online=True,
                )
            ),
        )
        asked = admin.call(
            admin.desk.SubmitInquiry,
            desk_pb2.SubmitInquiryRequest(
                entry_organization_id="py-bakery",
                need_type=desk_pb2.NEED_TYPE_TALENT,
                text="We want interns",
                asker_is_sme=True,
                contact=desk_pb2.AskerContact(name="Anna", email="anna@example.org"),
            ),
        )
        assert asked.network_id == "py-net"
        inquiry = asked
        for _ in range(100):
            inquiry = admin.call(admin.desk.GetInquiry, desk_pb2.GetInquiryRequest(id=asked.id))
            if inquiry.state == desk_pb2.INQUIRY_STATE_OFFERED:
                break
            time.sleep(0.05)
        assert list(inquiry.offered_to) == [responder.id]
        accepted = admin.call(
            admin.desk.AcceptInquiry,
            desk_pb2.AcceptInquiryRequest(id=asked.id, responder_id=responder.id),
        )
        assert accepted.state == desk_pb2.INQUIRY_STATE_ASSIGNED
        assert accepted.contact.email == "anna@example.org"
        resolved = admin.call(
            admin.desk.ResolveInquiry,
            desk_pb2.ResolveInquiryRequest(
                id=asked.id, responder_id=responder.id, outcome=desk_pb2.OUTCOME_INTERNSHIP_ARRANGED
            ),
        )
        assert resolved.state == desk_pb2.INQUIRY_STATE_RESOLVED
        with pytest.raises(InfrashareError) as twice:
            admin.call(
                admin.desk.DeclineInquiry,
                desk_pb2.DeclineInquiryRequest(
                    id=asked.id, responder_id=responder.id, reason="late"
                ),
            )
        assert twice.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert twice.value.reason == "NOT_OFFERED"


def test_bad_input_raises_a_typed_error_naming_the_field(server):
    with Client(server, ADMIN) as admin:
        with pytest.raises(InfrashareError) as bad:
            admin.call(
                admin.registry.CreateResource,
                registry_pb2.CreateResourceRequest(
                    resource=registry_pb2.Resource(
                        display_name="Nowhere",
                        kind=registry_pb2.RESOURCE_KIND_LAB,
                        owner_organization_id="py-fablab",
                        location=registry_pb2.Location(
                            point=registry_pb2.GeoPoint(latitude=123, longitude=6)
                        ),
                    )
                ),
            )
        assert bad.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert bad.value.field == "resource.location.point.latitude"
        now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
        with pytest.raises(InfrashareError) as backwards:
            admin.call(
                admin.scheduler.CreateBooking,
                scheduler_pb2.CreateBookingRequest(
                    resource_id="py-laser",
                    organization_id="py-fablab",
                    quantity=1,
                    start_time=from_datetime(now),
                    end_time=from_datetime(now - datetime.timedelta(hours=1)),
                ),
            )
        assert backwards.value.field == "end_time"
    with Client(server, "not-a-token") as stranger:
        with pytest.raises(InfrashareError) as refused:
            stranger.call(stranger.tokens.WhoAmI, auth_pb2.WhoAmIRequest())
        assert refused.value.code == grpc.StatusCode.UNAUTHENTICATED


def test_the_sync_example_upserts_and_retires_equipment(server, tmp_path):
    with Client(server, ADMIN) as admin:
        admin.call(
            admin.registry.CreateOrganization,
            registry_pb2.CreateOrganizationRequest(
                organization_id="py-sync",
                organization=registry_pb2.Organization(
                    display_name="Sync B.V.", kind=registry_pb2.ORGANIZATION_KIND_COMPANY
                ),
            ),
        )
    example = os.path.join(SOURCE_DIR, "clients", "python", "examples", "sync_equipment.py")
    env = dict(
        os.environ,
        INFRASHARE_SERVER=server,
        INFRASHARE_TOKEN=ADMIN,
        PYTHONPATH=os.path.join(SOURCE_DIR, "clients", "python"),
    )

    def sync(items):
        path = tmp_path / "equipment.json"
        path.write_text(json.dumps(items))
        return subprocess.run(
            [sys.executable, example, "--org", "py-sync", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    first = sync(
        [
            {
                "id": "py-cobot",
                "name": "Cobot",
                "latitude": 52.2,
                "longitude": 6.1,
                "themes": ["manufacturing"],
            },
            {"id": "py-printer", "name": "3D printer", "latitude": 52.2, "longitude": 6.1},
        ]
    )
    assert first.returncode == 0, first.stderr
    assert "2 created, 0 updated, 0 failed, 0 retired" in first.stdout
    second = sync([{"id": "py-cobot", "name": "Cobot UR10", "latitude": 52.2, "longitude": 6.1}])
    assert second.returncode == 0, second.stderr
    assert "0 created, 1 updated, 0 failed, 1 retired" in second.stdout
    with Client(server, ADMIN) as admin:
        printer = admin.call(
            admin.registry.GetResource, registry_pb2.GetResourceRequest(id="py-printer")
        )
        assert printer.lifecycle.state == registry_pb2.LIFECYCLE_STATE_RETIRED
        cobot = admin.call(
            admin.registry.GetResource, registry_pb2.GetResourceRequest(id="py-cobot")
        )
        assert cobot.display_name == "Cobot UR10"


def test_times_need_a_zone_and_tokens_are_trimmed():
    from zoneinfo import ZoneInfo

    with pytest.raises(ValueError, match="no time zone"):
        from_datetime(datetime.datetime(2027, 3, 28, 9, 0))
    local = datetime.datetime(2027, 3, 29, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert to_datetime(from_datetime(local)) == datetime.datetime(
        2027, 3, 29, 7, 0, tzinfo=datetime.timezone.utc
    )
    client = Client("127.0.0.1:1", token="  ist_abc\n")
    assert client.metadata() == (("authorization", "Bearer ist_abc"),)
    client.close()


class _Refused(grpc.RpcError):
    """A refused call as grpc raises it: a code, a message and the rich-error trailer."""

    def __init__(self, code, status):
        self._code = code
        self._status = status

    def code(self):
        return self._code

    def details(self):
        return self._status.message

    def trailing_metadata(self):
        return (("grpc-status-details-bin", self._status.SerializeToString()),)


def test_a_failed_commit_names_what_it_could_not_undo():
    report = scheduler_pb2.RotationCommitUndoReport(plan_id="plan_a", replaced_plan_id="plan_b")
    report.failures.add(
        unit_resource_id="res_1",
        booking_ids=["res_1.new"],
        cancelled_booking_ids=["res_1.old"],
        reason="the slot is taken",
    )
    status = status_pb2.Status(code=grpc.StatusCode.ABORTED.value[0], message="stale; plan again")
    status.details.add().Pack(error_details_pb2.ErrorInfo(reason="STALE_PLAN"))
    status.details.add().Pack(report)
    error = InfrashareError(_Refused(grpc.StatusCode.ABORTED, status))
    assert error.code == grpc.StatusCode.ABORTED
    assert error.reason == "STALE_PLAN"
    assert error.undo_report == report
    # Any other error carries none.
    del status.details[1]
    assert InfrashareError(_Refused(grpc.StatusCode.ABORTED, status)).undo_report is None


class _Sends(grpc.UnaryUnaryClientInterceptor):
    """Every request the client hands to the channel: its method and request_id."""

    def __init__(self):
        self.sent = []

    def intercept_unary_unary(self, continuation, call_details, request):
        method = call_details.method
        method = method.decode() if isinstance(method, bytes) else method
        self.sent.append((method.rsplit("/", 1)[-1], getattr(request, "request_id", None)))
        return continuation(call_details, request)


def test_after_unavailable_only_reads_and_writes_with_a_request_id_are_sent_again():
    sends = _Sends()
    # A real channel to a port where nothing listens: every call ends UNAVAILABLE.
    client = Client(f"127.0.0.1:{free_port()}", ADMIN, max_attempts=3)
    counted = grpc.intercept_channel(client.channel, sends)
    client.scheduler = scheduler_pb2_grpc.SchedulerServiceStub(counted)
    client.privacy = privacy_pb2_grpc.PrivacyServiceStub(counted)
    calls = [
        # Writes without a request_id: a second copy could make a second draft or erasure.
        (client.scheduler.PlanRotation, scheduler_pb2.PlanRotationRequest(pool_id="py-pool")),
        (
            client.privacy.ErasePersonalData,
            privacy_pb2.ErasePersonalDataRequest(email="anna@example.org"),
        ),
        (client.scheduler.GetBooking, scheduler_pb2.GetBookingRequest(id="py-booking")),
        (
            client.scheduler.CreateBooking,
            scheduler_pb2.CreateBookingRequest(resource_id="py-laser", quantity=1),
        ),
    ]
    for method, request in calls:
        with pytest.raises(InfrashareError) as unavailable:
            client.call(method, request)
        assert unavailable.value.code == grpc.StatusCode.UNAVAILABLE
    client.close()
    methods = [method for method, _ in sends.sent]
    assert methods.count("PlanRotation") == 1
    assert methods.count("ErasePersonalData") == 1
    assert methods.count("GetBooking") == 3
    assert methods.count("CreateBooking") == 3
    request_ids = {request_id for method, request_id in sends.sent if method == "CreateBooking"}
    assert request_ids == {calls[3][1].request_id} and calls[3][1].request_id


def test_the_package_installs_with_pip_from_its_folder(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(
        os.path.join(SOURCE_DIR, "clients", "python"),
        source,
        ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"),
    )
    target = tmp_path / "site"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stderr
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import infrashare, infrashare.scheduler.v1.scheduler_pb2_grpc; "
            "print(infrashare.Client.__name__)",
        ],
        env=dict(os.environ, PYTHONPATH=str(target)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.strip() == "Client", probe.stderr
