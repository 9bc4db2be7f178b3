"""Thin helpers over the generated stubs: token, deadline, retries, pages, times, errors."""

import datetime
import re
import time
import uuid

import grpc
from google.protobuf import timestamp_pb2

from infrashare.auth.v1 import auth_pb2, auth_pb2_grpc
from infrashare.desk.v1 import desk_pb2, desk_pb2_grpc
from infrashare.errors import InfrashareError
from infrashare.impact.v1 import impact_pb2, impact_pb2_grpc
from infrashare.privacy.v1 import privacy_pb2, privacy_pb2_grpc
from infrashare.programme.v1 import programme_pb2, programme_pb2_grpc
from infrashare.registry.v1 import registry_pb2, registry_pb2_grpc
from infrashare.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from infrashare.watch import Watch
from infrashare.webhook.v1 import webhook_pb2, webhook_pb2_grpc

# RPCs that only read, and so may be sent again after UNAVAILABLE although they carry no
# request_id. One that does neither (PlanRotation, ErasePersonalData) is sent once: sent twice it
# could act twice.
_READ_ONLY = re.compile(r"^WhoAmI$|^(Get|List|Search|Find|Check|Export|Preview)[A-Z]|Report$")

# A channel finds a restarted server within 5 s (gRPC's default back-off grows to 120 s).
_CHANNEL_OPTIONS = [("grpc.max_reconnect_backoff_ms", 5000)]


def _read_only_request_types():
    """The request messages that only read-only RPCs take (`call` knows a request, not its RPC)."""
    read_only = {}
    for module in (
        auth_pb2,
        desk_pb2,
        impact_pb2,
        privacy_pb2,
        programme_pb2,
        registry_pb2,
        scheduler_pb2,
        webhook_pb2,
    ):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                name = method.input_type.full_name
                read_only[name] = read_only.get(name, True) and bool(_READ_ONLY.search(method.name))
    return frozenset(name for name, only_reads in read_only.items() if only_reads)


_READ_ONLY_REQUESTS = _read_only_request_types()


def to_datetime(timestamp):
    """A protobuf Timestamp as an aware UTC datetime."""
    return timestamp.ToDatetime(tzinfo=datetime.timezone.utc)


def from_datetime(moment):
    """An aware datetime as a protobuf Timestamp.

    A naive datetime is refused: it has no zone, and taking it as UTC would put 09:00 in Zwolle an
    hour or two late. Use ``datetime(..., tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam"))``.
    """
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(
            f"{moment.isoformat()} has no time zone; give tzinfo "
            "(e.g. zoneinfo.ZoneInfo('Europe/Amsterdam'))"
        )
    timestamp = timestamp_pb2.Timestamp()
    timestamp.FromDatetime(moment)
    return timestamp


class Client:
    """One channel to an infrashare server, with the caller's token on every call.

    ``call(stub_method, request)`` fills an empty ``request_id`` (so a retry of a write is safe),
    sends a read or a request with a ``request_id`` again while the server is UNAVAILABLE, and
    raises ``InfrashareError``. ``watch(stub_method, request)`` follows a Watch*/Stream* call
    across server restarts.
    """

    def __init__(
        self,
        server="127.0.0.1:50051",
        token="",
        tls=False,
        root_certificates=None,
        deadline_s=10.0,
        max_attempts=4,
        private_key=None,
        certificate_chain=None,
    ):
        # root_certificates, private_key and certificate_chain are PEM bytes; the last two make a
        # mutual-TLS client (a server with tls.client_certs: required).
        if tls:
            channel = grpc.secure_channel(
                server,
                grpc.ssl_channel_credentials(root_certificates, private_key, certificate_chain),
                options=_CHANNEL_OPTIONS,
            )
        else:
            channel = grpc.insecure_channel(server, options=_CHANNEL_OPTIONS)
        self.channel = channel
        self.token = token.strip()  # a token pasted with its line break still works
        self.deadline_s = deadline_s
        self.max_attempts = max_attempts
        self.registry = registry_pb2_grpc.RegistryServiceStub(channel)
        self.scheduler = scheduler_pb2_grpc.SchedulerServiceStub(channel)
        self.desk = desk_pb2_grpc.DeskServiceStub(channel)
        self.impact = impact_pb2_grpc.ImpactServiceStub(channel)
        self.privacy = privacy_pb2_grpc.PrivacyServiceStub(channel)
        self.programme = programme_pb2_grpc.ProgrammeServiceStub(channel)
        self.tokens = auth_pb2_grpc.TokenServiceStub(channel)
        self.webhooks = webhook_pb2_grpc.WebhookServiceStub(channel)

    def metadata(self):
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()

    def call(self, method, request):
        """Sends ``request`` with the token and the deadline; the response, or InfrashareError.

        An empty ``request_id`` is filled in (the request keeps it: send it again with the same
        one to retry later). After UNAVAILABLE the request is sent again, up to ``max_attempts``
        times in all, when it carries a ``request_id`` (the server acts once per id) or only
        reads; any other write is sent once, as it might have been done already.
        """
        takes_request_id = "request_id" in request.DESCRIPTOR.fields_by_name
        if takes_request_id and not request.request_id:
            request.request_id = uuid.uuid4().hex
        resendable = takes_request_id or request.DESCRIPTOR.full_name in _READ_ONLY_REQUESTS
        attempts = self.max_attempts if resendable else 1
        backoff = 0.1
        for attempt in range(1, attempts + 1):
            try:
                return method(request, timeout=self.deadline_s, metadata=self.metadata())
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or attempt == attempts:
                    raise InfrashareError(error) from None
                time.sleep(backoff)
                backoff *= 2
        raise AssertionError("unreachable")

    def watch(
        self,
        method,
        request,
        cursor_field="cursor",
        max_reconnects=10,
        backoff_s=0.1,
        max_backoff_s=5.0,
        on_reconnect=None,
    ):
        """The events of a Watch*/Stream* call as a ``Watch``: an iterator that opens the stream
        again after UNAVAILABLE from the cursor of the last event it returned.

        It starts from the request's cursor (empty: from now); ``request`` itself is not changed.
        Up to ``max_reconnects`` failed openings in a row, ``backoff_s`` apart and doubling up to
        ``max_backoff_s`` (the defaults: about 25 s); an event, or a stream open 10 s, starts the
        count again. ``on_reconnect(error, cursor)`` is told before each opening again.
        """

        def open_stream(cursor):
            sent = type(request)()
            sent.CopyFrom(request)
            setattr(sent, cursor_field, cursor)
            return method(sent, metadata=self.metadata())

        return Watch(
            open_stream,
            getattr(request, cursor_field),
            cursor_field=cursor_field,
            max_reconnects=max_reconnects,
            backoff_s=backoff_s,
            max_backoff_s=max_backoff_s,
            on_reconnect=on_reconnect,
        )

    def pages(self, method, request, items):
        """Every item of a List or Search call, page after page: ``items`` names the repeated field."""
        while True:
            response = self.call(method, request)
            yield from getattr(response, items)
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
