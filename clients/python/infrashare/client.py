"""Thin helpers over the generated stubs: token, deadline, retries, pages, times, errors."""

import datetime
import time
import uuid

import grpc
from google.protobuf import timestamp_pb2

from infrashare._rpc import error_details_pb2, status_pb2
from infrashare.auth.v1 import auth_pb2_grpc
from infrashare.desk.v1 import desk_pb2_grpc
from infrashare.impact.v1 import impact_pb2_grpc
from infrashare.privacy.v1 import privacy_pb2_grpc
from infrashare.programme.v1 import programme_pb2_grpc
from infrashare.registry.v1 import registry_pb2_grpc
from infrashare.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc


class InfrashareError(Exception):
    """A failed call: the gRPC code, the message, and the bad field and reason when the server named them.

    ``undo_report`` is a ``scheduler_pb2.RotationCommitUndoReport`` when a failed rotation plan
    commit could not undo what it had booked (the bookings an operator must clean up), else None.
    """

    def __init__(self, rpc_error):
        self.code = rpc_error.code()
        self.message = rpc_error.details()
        self.field = ""
        self.reason = ""
        self.undo_report = None
        for key, value in rpc_error.trailing_metadata() or ():
            if key != "grpc-status-details-bin":
                continue
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR) and not self.field:
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    if bad.field_violations:
                        self.field = bad.field_violations[0].field
                elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    self.reason = info.reason
                elif detail.Is(scheduler_pb2.RotationCommitUndoReport.DESCRIPTOR):
                    self.undo_report = scheduler_pb2.RotationCommitUndoReport()
                    detail.Unpack(self.undo_report)
        super().__init__(f"{self.code.name}: {self.message}")


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
    retries while the server is UNAVAILABLE, and raises ``InfrashareError``.
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
            )
        else:
            channel = grpc.insecure_channel(server)
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

    def metadata(self):
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()

    def call(self, method, request):
        if "request_id" in request.DESCRIPTOR.fields_by_name and not request.request_id:
            request.request_id = uuid.uuid4().hex
        backoff = 0.1
        for attempt in range(1, self.max_attempts + 1):
            try:
                return method(request, timeout=self.deadline_s, metadata=self.metadata())
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or attempt == self.max_attempts:
                    raise InfrashareError(error) from None
                time.sleep(backoff)
                backoff *= 2
        raise AssertionError("unreachable")

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
