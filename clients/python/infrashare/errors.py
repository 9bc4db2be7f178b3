"""InfrashareError: a failed call as one exception, with what the server said about it."""

from infrashare._rpc import error_details_pb2, status_pb2
from infrashare.scheduler.v1 import scheduler_pb2


class InfrashareError(Exception):
    """A failed call: the gRPC code, the message, and the bad field and reason when the server named them.

    ``metadata`` is the ``google.rpc.ErrorInfo`` metadata (e.g. ``{"kind": "resource", "id": ...}``
    of a NOT_FOUND, ``{"field": ...}`` of a refused precondition), empty when there is none.
    ``undo_report`` is a ``scheduler_pb2.RotationCommitUndoReport`` when a failed rotation plan
    commit could not undo what it had booked (the bookings an operator must clean up), else None.
    """

    def __init__(self, rpc_error):
        self.code = rpc_error.code()
        self.message = rpc_error.details()
        self.field = ""
        self.reason = ""
        self.metadata = {}
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
                    self.metadata = dict(info.metadata)
                elif detail.Is(scheduler_pb2.RotationCommitUndoReport.DESCRIPTOR):
                    self.undo_report = scheduler_pb2.RotationCommitUndoReport()
                    detail.Unpack(self.undo_report)
        super().__init__(f"{self.code.name}: {self.message}")
