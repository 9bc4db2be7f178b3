from infrashare._api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from infrashare.desk.v1 import desk_pb2 as _desk_pb2
from infrashare.registry.v1 import registry_pb2 as _registry_pb2
from infrashare.scheduler.v1 import scheduler_pb2 as _scheduler_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
EXPORT_FORMAT_CSV: ExportFormat
EXPORT_FORMAT_JSON: ExportFormat
EXPORT_FORMAT_UNSPECIFIED: ExportFormat

class ExportImpactReportRequest(_message.Message):
    __slots__ = ["format", "report"]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    format: ExportFormat
    report: ImpactReportRequest
    def __init__(self, report: _Optional[_Union[ImpactReportRequest, _Mapping]] = ..., format: _Optional[_Union[ExportFormat, str]] = ...) -> None: ...

class ExportImpactReportResponse(_message.Message):
    __slots__ = ["content", "content_type"]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    content_type: str
    def __init__(self, content_type: _Optional[str] = ..., content: _Optional[bytes] = ...) -> None: ...

class ImpactPeriod(_message.Message):
    __slots__ = ["desk", "end_time", "programme", "reach", "rotations", "shared_use", "start_time"]
    DESK_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_FIELD_NUMBER: _ClassVar[int]
    REACH_FIELD_NUMBER: _ClassVar[int]
    ROTATIONS_FIELD_NUMBER: _ClassVar[int]
    SHARED_USE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    desk: _desk_pb2.DeskReport
    end_time: _timestamp_pb2.Timestamp
    programme: ProgrammeImpact
    reach: ReachImpact
    rotations: RotationImpact
    shared_use: SharedUseImpact
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., shared_use: _Optional[_Union[SharedUseImpact, _Mapping]] = ..., reach: _Optional[_Union[ReachImpact, _Mapping]] = ..., desk: _Optional[_Union[_desk_pb2.DeskReport, _Mapping]] = ..., rotations: _Optional[_Union[RotationImpact, _Mapping]] = ..., programme: _Optional[_Union[ProgrammeImpact, _Mapping]] = ...) -> None: ...

class ImpactReport(_message.Message):
    __slots__ = ["current", "generated_time", "network_id", "previous", "resources"]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    GENERATED_TIME_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    current: ImpactPeriod
    generated_time: _timestamp_pb2.Timestamp
    network_id: str
    previous: ImpactPeriod
    resources: ResourceImpact
    def __init__(self, network_id: _Optional[str] = ..., generated_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., resources: _Optional[_Union[ResourceImpact, _Mapping]] = ..., current: _Optional[_Union[ImpactPeriod, _Mapping]] = ..., previous: _Optional[_Union[ImpactPeriod, _Mapping]] = ...) -> None: ...

class ImpactReportRequest(_message.Message):
    __slots__ = ["end_time", "network_id", "start_time"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    network_id: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, network_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProgrammeImpact(_message.Message):
    __slots__ = ["attendance_rate", "attendance_recorded", "attended", "events", "registrations"]
    ATTENDANCE_RATE_FIELD_NUMBER: _ClassVar[int]
    ATTENDANCE_RECORDED_FIELD_NUMBER: _ClassVar[int]
    ATTENDED_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    REGISTRATIONS_FIELD_NUMBER: _ClassVar[int]
    attendance_rate: float
    attendance_recorded: int
    attended: int
    events: int
    registrations: int
    def __init__(self, events: _Optional[int] = ..., registrations: _Optional[int] = ..., attendance_recorded: _Optional[int] = ..., attended: _Optional[int] = ..., attendance_rate: _Optional[float] = ...) -> None: ...

class ReachImpact(_message.Message):
    __slots__ = ["organizations", "sme_inquiries", "sme_share", "smes", "through_bookings", "through_desk", "through_events"]
    ORGANIZATIONS_FIELD_NUMBER: _ClassVar[int]
    SMES_FIELD_NUMBER: _ClassVar[int]
    SME_INQUIRIES_FIELD_NUMBER: _ClassVar[int]
    SME_SHARE_FIELD_NUMBER: _ClassVar[int]
    THROUGH_BOOKINGS_FIELD_NUMBER: _ClassVar[int]
    THROUGH_DESK_FIELD_NUMBER: _ClassVar[int]
    THROUGH_EVENTS_FIELD_NUMBER: _ClassVar[int]
    organizations: int
    sme_inquiries: int
    sme_share: float
    smes: int
    through_bookings: int
    through_desk: int
    through_events: int
    def __init__(self, organizations: _Optional[int] = ..., smes: _Optional[int] = ..., sme_share: _Optional[float] = ..., sme_inquiries: _Optional[int] = ..., through_bookings: _Optional[int] = ..., through_events: _Optional[int] = ..., through_desk: _Optional[int] = ...) -> None: ...

class ResourceImpact(_message.Message):
    __slots__ = ["active_resources", "coverage"]
    ACTIVE_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    active_resources: int
    coverage: _registry_pb2.CoverageReportResponse
    def __init__(self, active_resources: _Optional[int] = ..., coverage: _Optional[_Union[_registry_pb2.CoverageReportResponse, _Mapping]] = ...) -> None: ...

class RotationImpact(_message.Message):
    __slots__ = ["assignments", "pools", "unit_days"]
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    POOLS_FIELD_NUMBER: _ClassVar[int]
    UNIT_DAYS_FIELD_NUMBER: _ClassVar[int]
    assignments: int
    pools: int
    unit_days: float
    def __init__(self, pools: _Optional[int] = ..., assignments: _Optional[int] = ..., unit_days: _Optional[float] = ...) -> None: ...

class SharedUseImpact(_message.Message):
    __slots__ = ["bookings", "sme_hours_share", "usage"]
    BOOKINGS_FIELD_NUMBER: _ClassVar[int]
    SME_HOURS_SHARE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    bookings: int
    sme_hours_share: float
    usage: _scheduler_pb2.UsageReportResponse
    def __init__(self, bookings: _Optional[int] = ..., usage: _Optional[_Union[_scheduler_pb2.UsageReportResponse, _Mapping]] = ..., sme_hours_share: _Optional[float] = ...) -> None: ...

class ExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
