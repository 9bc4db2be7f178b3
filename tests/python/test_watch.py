"""Watches and retries across server restarts: server A is killed or stopped and started again on
the same port; server B, a second replica on the same Redis, stays up, so changes can be made
while A is down. Every wait for an event is bounded (WAIT_S), so a lost event fails the test."""

import contextlib
import datetime
import queue
import threading
import time

import grpc
import pytest

# live_server puts clients/python on sys.path, so it comes before the infrashare imports.
from live_server import ADMIN, Redis, Server

from infrashare import Client, InfrashareError, from_datetime
from infrashare.auth.v1 import auth_pb2
from infrashare.registry.v1 import registry_pb2
from infrashare.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc

ORG = "py-watch-werkplaats"
# Before the first entry of each of the 16 booking event streams (scheduler.shards): a watch from
# here replays a new lab's events from its first, where one "from now" might start after them.
FROM_THE_START = "bk1:" + ",".join(["0-0"] * 16)
WAIT_S = 120
CREATED = scheduler_pb2.BOOKING_EVENT_TYPE_CREATED
CHANGED = scheduler_pb2.BOOKING_EVENT_TYPE_STATE_CHANGED
CONFIRMED = scheduler_pb2.BOOKING_STATE_CONFIRMED
CANCELLED = scheduler_pb2.BOOKING_STATE_CANCELLED


@contextlib.contextmanager
def replicas():
    """Redis, server A and server B, and the organisation whose labs the tests book."""
    redis = Redis()
    a, b = Server(redis), Server(redis)
    try:
        with Client(b.address, ADMIN) as admin:
            admin.call(
                admin.registry.CreateOrganization,
                registry_pb2.CreateOrganizationRequest(
                    organization_id=ORG,
                    organization=registry_pb2.Organization(
                        display_name="Werkplaats Zwolle",
                        kind=registry_pb2.ORGANIZATION_KIND_VOCATIONAL_SCHOOL,
                    ),
                ),
            )
        yield redis, a, b
    finally:
        a.stop()
        b.stop()
        redis.stop()


@pytest.fixture(scope="module")
def servers():
    with replicas() as live:
        yield live


def open_lab(client, lab):
    """A lab open 08:00-18:00 UTC every day."""
    client.call(
        client.registry.CreateResource,
        registry_pb2.CreateResourceRequest(
            resource_id=lab,
            resource=registry_pb2.Resource(
                display_name=f"Lab {lab}",
                kind=registry_pb2.RESOURCE_KIND_LAB,
                owner_organization_id=ORG,
                location=registry_pb2.Location(
                    point=registry_pb2.GeoPoint(latitude=52.51, longitude=6.09)
                ),
                time_zone="UTC",
            ),
        ),
    )
    client.call(
        client.registry.PublishAvailability,
        registry_pb2.PublishAvailabilityRequest(
            resource_id=lab,
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


def book(client, lab, hour):
    """A confirmed hour of the lab, 30 days ahead, from `hour` o'clock UTC."""
    start = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    for _ in range(100):  # each server's scheduler follows the registry: wait for the lab's hours
        try:
            return client.call(
                client.scheduler.CreateBooking,
                scheduler_pb2.CreateBookingRequest(
                    resource_id=lab,
                    organization_id=ORG,
                    quantity=1,
                    start_time=from_datetime(start),
                    end_time=from_datetime(start + datetime.timedelta(hours=1)),
                ),
            )
        except InfrashareError as error:
            if error.reason not in ("OUTSIDE_AVAILABILITY", "NOT_FOUND"):
                raise
            time.sleep(0.1)
    raise AssertionError(f"{lab} never opened")


def cancel(client, booking):
    return client.call(
        client.scheduler.CancelBooking,
        scheduler_pb2.CancelBookingRequest(id=booking.id, reason="moved"),
    )


def watch_bookings(client, lab, **options):
    return client.watch(
        client.scheduler.WatchBookings,
        scheduler_pb2.WatchBookingsRequest(resource_id=lab, cursor=FROM_THE_START),
        **options,
    )


class Reader:
    """Reads a watch on a thread of its own, as an application would: the events, then the
    InfrashareError that ended it or "ended"."""

    def __init__(self, watch):
        self.watch = watch
        self.items = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for event in self.watch:
                self.items.put(event)
            self.items.put("ended")
        except InfrashareError as error:
            self.items.put(error)

    def take(self, count):
        """The next `count` events as (booking id, event type, booking state)."""
        taken = []
        for _ in range(count):
            item = self.items.get(timeout=WAIT_S)
            assert isinstance(item, scheduler_pb2.BookingEvent), f"after {taken}: {item}"
            taken.append((item.booking.id, item.type, item.booking.state))
        return taken

    def end(self):
        """What ended the watch; no event may be left before it."""
        item = self.items.get(timeout=WAIT_S)
        self.thread.join(timeout=WAIT_S)
        return item


def test_a_watch_delivers_every_event_once_and_in_order_across_a_kill_9(servers):
    _, a, b = servers
    lab = "py-watch-kill"
    reconnects = []
    # Its calls outlast the channel's reconnection back-off (at most 5 s) after the restart.
    with Client(a.address, ADMIN, max_attempts=10) as via_a, Client(b.address, ADMIN) as via_b:
        open_lab(via_b, lab)
        watch = watch_bookings(
            via_a,
            lab,
            max_reconnects=100,
            on_reconnect=lambda error, cursor: reconnects.append((error.code, cursor)),
        )
        reader = Reader(watch)
        first = book(via_a, lab, 8)
        cancel(via_a, first)
        assert reader.take(2) == [(first.id, CREATED, CONFIRMED), (first.id, CHANGED, CANCELLED)]
        seen = watch.cursor

        a.kill()  # while the reader waits for the next event
        second = book(via_b, lab, 9)
        third = book(via_b, lab, 10)
        cancel(via_b, second)
        a.start()
        fourth = book(via_a, lab, 11)
        cancel(via_a, third)
        assert reader.take(5) == [
            (second.id, CREATED, CONFIRMED),
            (third.id, CREATED, CONFIRMED),
            (second.id, CHANGED, CANCELLED),
            (fourth.id, CREATED, CONFIRMED),
            (third.id, CHANGED, CANCELLED),
        ]
        # Nothing comes twice: the next event is the next change.
        last = book(via_a, lab, 12)
        assert reader.take(1) == [(last.id, CREATED, CONFIRMED)]
        watch.close()
        assert reader.end() == "ended"

    assert reconnects, "the watch never re-opened"
    assert {code for code, _ in reconnects} == {grpc.StatusCode.UNAVAILABLE}
    # It re-opened from the last event it had returned before the kill.
    assert {cursor for _, cursor in reconnects} == {seen}


def test_a_watch_whose_cursor_expired_while_the_server_was_down_raises_cursor_expired():
    lab = "py-watch-expired"
    reconnects = []
    # Replicas of its own: the trimming expires every cursor from before it.
    with replicas() as (redis, a, b):
        with Client(a.address, ADMIN) as via_a, Client(b.address, ADMIN) as via_b:
            open_lab(via_b, lab)
            reader = Reader(
                watch_bookings(
                    via_a,
                    lab,
                    max_reconnects=100,
                    on_reconnect=lambda error, cursor: reconnects.append(error.code),
                )
            )
            first = book(via_a, lab, 8)
            assert reader.take(1) == [(first.id, CREATED, CONFIRMED)]
            a.kill()
            book(via_b, lab, 9)
            # The events after the reader's cursor are trimmed away before it can re-open.
            for key in redis.cli("--scan", "--pattern", "is:{bk:*}:events").split():
                redis.cli("XTRIM", key, "MAXLEN", "0")
            a.start()
            ended = reader.end()
    assert isinstance(ended, InfrashareError), ended
    assert ended.code == grpc.StatusCode.FAILED_PRECONDITION
    assert ended.reason == "CURSOR_EXPIRED"
    assert set(reconnects) == {grpc.StatusCode.UNAVAILABLE}


def test_a_watch_that_cannot_reopen_raises_unavailable_and_ends(servers):
    _, a, b = servers
    lab = "py-watch-gone"
    with Client(a.address, ADMIN) as via_a, Client(b.address, ADMIN) as via_b:
        open_lab(via_b, lab)
        first = book(via_b, lab, 8)
        watch = watch_bookings(via_a, lab, max_reconnects=2, backoff_s=0.01)
        assert next(watch).booking.id == first.id
        a.stop()
        try:
            with pytest.raises(InfrashareError) as gone:
                next(watch)
            assert gone.value.code == grpc.StatusCode.UNAVAILABLE
            with pytest.raises(StopIteration):
                next(watch)
        finally:
            a.start()


def test_a_refused_watch_raises_the_field_and_is_not_reopened(servers):
    _, a, _ = servers
    reconnects = []
    with Client(a.address, ADMIN) as c:
        watch = c.watch(
            c.scheduler.WatchBookings,
            scheduler_pb2.WatchBookingsRequest(cursor="bk1:not-a-cursor"),
            on_reconnect=lambda error, cursor: reconnects.append(error.code),
        )
        with pytest.raises(InfrashareError) as refused:
            next(watch)
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.field == "cursor"
    assert reconnects == []


def test_close_ends_a_watch_that_waits_for_an_event(servers):
    _, a, _ = servers
    lab = "py-watch-close"
    with Client(a.address, ADMIN) as c:
        open_lab(c, lab)
        request = scheduler_pb2.WatchBookingsRequest(resource_id=lab, cursor=FROM_THE_START)
        with c.watch(c.scheduler.WatchBookings, request) as watch:
            reader = Reader(watch)
            first = book(c, lab, 8)
            assert reader.take(1) == [(first.id, CREATED, CONFIRMED)]
            assert watch.cursor.startswith("bk1:") and watch.cursor != FROM_THE_START
            watch.close()  # from this thread, while the reader waits in next()
            assert reader.end() == "ended"
        assert request.cursor == FROM_THE_START, "the caller's request is left as it was"


class _FirstSend(grpc.UnaryUnaryClientInterceptor):
    """Counts the requests handed to the channel and tells when the first has gone."""

    def __init__(self):
        self.count = 0
        self.sent = threading.Event()

    def intercept_unary_unary(self, continuation, call_details, request):
        self.count += 1
        outcome = continuation(call_details, request)
        self.sent.set()
        return outcome


def test_calls_across_a_restart_reads_and_writes_with_a_request_id_are_sent_again(servers):
    _, a, _ = servers
    a.stop()
    patient = Client(a.address, ADMIN, max_attempts=12)  # up to 204 s of back-off
    with Client(a.address, ADMIN, max_attempts=1) as once:
        with pytest.raises(InfrashareError) as down:
            once.call(once.tokens.WhoAmI, auth_pb2.WhoAmIRequest())
        assert down.value.code == grpc.StatusCode.UNAVAILABLE
    # PlanRotation makes a draft and takes no request_id: it is sent once. Sent again, it would
    # reach the restarted server and get its answer (NOT_FOUND for this pool).
    plan_sends = _FirstSend()
    planner = scheduler_pb2_grpc.SchedulerServiceStub(
        grpc.intercept_channel(patient.channel, plan_sends)
    )
    results = {}

    def run(name, method, request):
        try:
            results[name] = patient.call(method, request)
        except InfrashareError as error:
            results[name] = error

    write = registry_pb2.CreateOrganizationRequest(
        organization_id="py-watch-hengelo",
        organization=registry_pb2.Organization(
            display_name="Lab Hengelo", kind=registry_pb2.ORGANIZATION_KIND_COMPANY
        ),
    )
    calls = [
        ("plan", planner.PlanRotation, scheduler_pb2.PlanRotationRequest(pool_id="py-no-pool")),
        ("read", patient.registry.GetOrganization, registry_pb2.GetOrganizationRequest(id=ORG)),
        ("write", patient.registry.CreateOrganization, write),
    ]
    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    assert plan_sends.sent.wait(WAIT_S)  # its one attempt met the server down
    a.start()
    for thread in threads:
        thread.join(timeout=WAIT_S)
    patient.close()
    assert isinstance(results["plan"], InfrashareError), results["plan"]
    assert results["plan"].code == grpc.StatusCode.UNAVAILABLE
    assert plan_sends.count == 1
    assert results["read"].display_name == "Werkplaats Zwolle"
    assert results["write"].display_name == "Lab Hengelo"
    assert len(write.request_id) == 32, "the write carried the request_id the client made"
