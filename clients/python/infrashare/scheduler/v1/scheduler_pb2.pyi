from infrashare._api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from infrashare.registry.v1 import registry_pb2 as _registry_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

BOOKING_EVENT_TYPE_CREATED: BookingEventType
BOOKING_EVENT_TYPE_PROMOTED_FROM_WAITLIST: BookingEventType
BOOKING_EVENT_TYPE_STATE_CHANGED: BookingEventType
BOOKING_EVENT_TYPE_UNSPECIFIED: BookingEventType
BOOKING_STATE_CANCELLED: BookingState
BOOKING_STATE_CHECKED_IN: BookingState
BOOKING_STATE_COMPLETED: BookingState
BOOKING_STATE_CONFIRMED: BookingState
BOOKING_STATE_EXPIRED: BookingState
BOOKING_STATE_HELD: BookingState
BOOKING_STATE_NO_SHOW: BookingState
BOOKING_STATE_PENDING_APPROVAL: BookingState
BOOKING_STATE_REJECTED: BookingState
BOOKING_STATE_UNSPECIFIED: BookingState
DESCRIPTOR: _descriptor.FileDescriptor
HANDOVER_STATE_CONFIRMED: HandoverState
HANDOVER_STATE_CONFIRMED_LATE: HandoverState
HANDOVER_STATE_OVERDUE: HandoverState
HANDOVER_STATE_PENDING: HandoverState
HANDOVER_STATE_UNSPECIFIED: HandoverState
PASS_OVER_REASON_CLOSED: PassOverReason
PASS_OVER_REASON_DURATION: PassOverReason
PASS_OVER_REASON_FULLY_BOOKED: PassOverReason
PASS_OVER_REASON_LEAD_TIME: PassOverReason
PASS_OVER_REASON_NOT_IN_SERVICE: PassOverReason
PASS_OVER_REASON_NOT_PERMITTED: PassOverReason
PASS_OVER_REASON_NOT_SHARED: PassOverReason
PASS_OVER_REASON_TOO_FAR_AHEAD: PassOverReason
PASS_OVER_REASON_TOO_SMALL: PassOverReason
PASS_OVER_REASON_TRAINING_REQUIRED: PassOverReason
PASS_OVER_REASON_UNSPECIFIED: PassOverReason
RECURRENCE_MODE_ALL_OR_NOTHING: RecurrenceMode
RECURRENCE_MODE_SKIP_CONFLICTS: RecurrenceMode
RECURRENCE_MODE_UNSPECIFIED: RecurrenceMode
ROTATION_EVENT_TYPE_HANDOVER_OVERDUE: RotationEventType
ROTATION_EVENT_TYPE_UNSPECIFIED: RotationEventType
ROTATION_EXPORT_FORMAT_CSV: RotationExportFormat
ROTATION_EXPORT_FORMAT_ICALENDAR: RotationExportFormat
ROTATION_EXPORT_FORMAT_UNSPECIFIED: RotationExportFormat
ROTATION_LEG_KIND_ASSIGNMENT: RotationLegKind
ROTATION_LEG_KIND_AT_HOME: RotationLegKind
ROTATION_LEG_KIND_MAINTENANCE: RotationLegKind
ROTATION_LEG_KIND_SETUP: RotationLegKind
ROTATION_LEG_KIND_TEARDOWN: RotationLegKind
ROTATION_LEG_KIND_TRANSPORT: RotationLegKind
ROTATION_LEG_KIND_UNSPECIFIED: RotationLegKind
ROTATION_PLAN_STATE_COMMITTED: RotationPlanState
ROTATION_PLAN_STATE_DRAFT: RotationPlanState
ROTATION_PLAN_STATE_SUPERSEDED: RotationPlanState
ROTATION_PLAN_STATE_UNSPECIFIED: RotationPlanState
ROTATION_REQUEST_STATE_OPEN: RotationRequestState
ROTATION_REQUEST_STATE_UNSPECIFIED: RotationRequestState
ROTATION_REQUEST_STATE_WITHDRAWN: RotationRequestState
WAITLIST_STATE_EXPIRED: WaitlistState
WAITLIST_STATE_LEFT: WaitlistState
WAITLIST_STATE_PROMOTED: WaitlistState
WAITLIST_STATE_UNSPECIFIED: WaitlistState
WAITLIST_STATE_WAITING: WaitlistState

class ApproveBookingRequest(_message.Message):
    __slots__ = ["id", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class BookerKindHours(_message.Message):
    __slots__ = ["booker_kind", "hours"]
    BOOKER_KIND_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    booker_kind: str
    hours: float
    def __init__(self, booker_kind: _Optional[str] = ..., hours: _Optional[float] = ...) -> None: ...

class Booking(_message.Message):
    __slots__ = ["blocked_end_time", "blocked_start_time", "create_time", "end_time", "etag", "hold_expire_time", "id", "notes", "organization_id", "quantity", "reason", "resource_id", "series_id", "start_time", "state", "title", "update_time"]
    BLOCKED_END_TIME_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_START_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    HOLD_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    SERIES_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    blocked_end_time: _timestamp_pb2.Timestamp
    blocked_start_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    etag: str
    hold_expire_time: _timestamp_pb2.Timestamp
    id: str
    notes: str
    organization_id: str
    quantity: int
    reason: str
    resource_id: str
    series_id: str
    start_time: _timestamp_pb2.Timestamp
    state: BookingState
    title: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., resource_id: _Optional[str] = ..., organization_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., quantity: _Optional[int] = ..., state: _Optional[_Union[BookingState, str]] = ..., title: _Optional[str] = ..., notes: _Optional[str] = ..., hold_expire_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., blocked_start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., blocked_end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., series_id: _Optional[str] = ...) -> None: ...

class BookingEvent(_message.Message):
    __slots__ = ["booking", "cursor", "type"]
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    booking: Booking
    cursor: str
    type: BookingEventType
    def __init__(self, cursor: _Optional[str] = ..., type: _Optional[_Union[BookingEventType, str]] = ..., booking: _Optional[_Union[Booking, _Mapping]] = ...) -> None: ...

class CalendarFeed(_message.Message):
    __slots__ = ["create_time", "created_by", "description", "id", "organization_id", "resource_id", "secret", "url"]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    create_time: _timestamp_pb2.Timestamp
    created_by: str
    description: str
    id: str
    organization_id: str
    resource_id: str
    secret: str
    url: str
    def __init__(self, id: _Optional[str] = ..., organization_id: _Optional[str] = ..., resource_id: _Optional[str] = ..., description: _Optional[str] = ..., secret: _Optional[str] = ..., url: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ...) -> None: ...

class CancelBookingRequest(_message.Message):
    __slots__ = ["id", "reason", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CheckAvailabilityRequest(_message.Message):
    __slots__ = ["end_time", "resource_id", "start_time"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    resource_id: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, resource_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CheckAvailabilityResponse(_message.Message):
    __slots__ = ["capacity", "free", "resource_id"]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    FREE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    capacity: int
    free: _containers.RepeatedCompositeFieldContainer[FreeInterval]
    resource_id: str
    def __init__(self, resource_id: _Optional[str] = ..., capacity: _Optional[int] = ..., free: _Optional[_Iterable[_Union[FreeInterval, _Mapping]]] = ...) -> None: ...

class CheckInBookingRequest(_message.Message):
    __slots__ = ["id", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CommitRotationPlanRequest(_message.Message):
    __slots__ = ["id", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ConfirmHandoverRequest(_message.Message):
    __slots__ = ["condition_notes", "id", "request_id"]
    CONDITION_NOTES_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    condition_notes: str
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., condition_notes: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateBookingRequest(_message.Message):
    __slots__ = ["contact_email", "end_time", "hold", "notes", "organization_id", "quantity", "request_id", "resource_id", "start_time", "title"]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    HOLD_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    contact_email: str
    end_time: _timestamp_pb2.Timestamp
    hold: bool
    notes: str
    organization_id: str
    quantity: int
    request_id: str
    resource_id: str
    start_time: _timestamp_pb2.Timestamp
    title: str
    def __init__(self, resource_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., quantity: _Optional[int] = ..., title: _Optional[str] = ..., notes: _Optional[str] = ..., hold: bool = ..., organization_id: _Optional[str] = ..., request_id: _Optional[str] = ..., contact_email: _Optional[str] = ...) -> None: ...

class CreateCalendarFeedRequest(_message.Message):
    __slots__ = ["description", "organization_id", "request_id", "resource_id"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    description: str
    organization_id: str
    request_id: str
    resource_id: str
    def __init__(self, organization_id: _Optional[str] = ..., resource_id: _Optional[str] = ..., description: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateRecurringBookingRequest(_message.Message):
    __slots__ = ["end_time", "mode", "notes", "organization_id", "quantity", "request_id", "resource_id", "rrule", "start_time", "title"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    RRULE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    mode: RecurrenceMode
    notes: str
    organization_id: str
    quantity: int
    request_id: str
    resource_id: str
    rrule: str
    start_time: _timestamp_pb2.Timestamp
    title: str
    def __init__(self, resource_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., rrule: _Optional[str] = ..., mode: _Optional[_Union[RecurrenceMode, str]] = ..., quantity: _Optional[int] = ..., title: _Optional[str] = ..., notes: _Optional[str] = ..., organization_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateRecurringBookingResponse(_message.Message):
    __slots__ = ["booked", "occurrences", "series_id"]
    BOOKED_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    SERIES_ID_FIELD_NUMBER: _ClassVar[int]
    booked: int
    occurrences: _containers.RepeatedCompositeFieldContainer[OccurrenceResult]
    series_id: str
    def __init__(self, series_id: _Optional[str] = ..., occurrences: _Optional[_Iterable[_Union[OccurrenceResult, _Mapping]]] = ..., booked: _Optional[int] = ...) -> None: ...

class CreateRotationPoolRequest(_message.Message):
    __slots__ = ["pool", "request_id"]
    POOL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    pool: RotationPool
    request_id: str
    def __init__(self, pool: _Optional[_Union[RotationPool, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateRotationRequestRequest(_message.Message):
    __slots__ = ["request_id", "rotation_request"]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ROTATION_REQUEST_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    rotation_request: RotationRequest
    def __init__(self, rotation_request: _Optional[_Union[RotationRequest, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ExportCalendarRequest(_message.Message):
    __slots__ = ["end_time", "organization_id", "resource_id", "start_time"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    organization_id: str
    resource_id: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, resource_id: _Optional[str] = ..., organization_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportCalendarResponse(_message.Message):
    __slots__ = ["events", "ical"]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    ICAL_FIELD_NUMBER: _ClassVar[int]
    events: int
    ical: str
    def __init__(self, ical: _Optional[str] = ..., events: _Optional[int] = ...) -> None: ...

class ExportRotationPlanRequest(_message.Message):
    __slots__ = ["format", "id", "unit_resource_id"]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    format: RotationExportFormat
    id: str
    unit_resource_id: str
    def __init__(self, id: _Optional[str] = ..., format: _Optional[_Union[RotationExportFormat, str]] = ..., unit_resource_id: _Optional[str] = ...) -> None: ...

class ExportRotationPlanResponse(_message.Message):
    __slots__ = ["content", "content_type"]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    content: str
    content_type: str
    def __init__(self, content: _Optional[str] = ..., content_type: _Optional[str] = ...) -> None: ...

class FindSlotsRequest(_message.Message):
    __slots__ = ["duration_minutes", "earliest_per_resource", "end_time", "max_results", "quantity", "search", "start_time"]
    DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    EARLIEST_PER_RESOURCE_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    duration_minutes: int
    earliest_per_resource: bool
    end_time: _timestamp_pb2.Timestamp
    max_results: int
    quantity: int
    search: _registry_pb2.SearchResourcesRequest
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, search: _Optional[_Union[_registry_pb2.SearchResourcesRequest, _Mapping]] = ..., duration_minutes: _Optional[int] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., quantity: _Optional[int] = ..., max_results: _Optional[int] = ..., earliest_per_resource: bool = ...) -> None: ...

class FindSlotsResponse(_message.Message):
    __slots__ = ["passed_over", "resources_considered", "resources_matched", "slots"]
    PASSED_OVER_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_CONSIDERED_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_MATCHED_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    passed_over: _containers.RepeatedCompositeFieldContainer[PassedOver]
    resources_considered: int
    resources_matched: int
    slots: _containers.RepeatedCompositeFieldContainer[FoundSlot]
    def __init__(self, slots: _Optional[_Iterable[_Union[FoundSlot, _Mapping]]] = ..., resources_considered: _Optional[int] = ..., resources_matched: _Optional[int] = ..., passed_over: _Optional[_Iterable[_Union[PassedOver, _Mapping]]] = ...) -> None: ...

class FoundSlot(_message.Message):
    __slots__ = ["display_name", "distance_km", "end_time", "remaining_capacity", "resource_id", "start_time"]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    REMAINING_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    distance_km: float
    end_time: _timestamp_pb2.Timestamp
    remaining_capacity: int
    resource_id: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, resource_id: _Optional[str] = ..., display_name: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., remaining_capacity: _Optional[int] = ..., distance_km: _Optional[float] = ...) -> None: ...

class FreeInterval(_message.Message):
    __slots__ = ["end_time", "remaining_capacity", "start_time"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    REMAINING_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    remaining_capacity: int
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., remaining_capacity: _Optional[int] = ...) -> None: ...

class GetBookingRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetRotationPlanRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetRotationPoolRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetRotationRequestRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class Handover(_message.Message):
    __slots__ = ["checklist", "confirm_deadline", "from_condition_notes", "from_confirm_time", "from_organization_id", "id", "plan_id", "state", "time", "to_condition_notes", "to_confirm_time", "to_organization_id", "unit_resource_id"]
    CHECKLIST_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    FROM_CONDITION_NOTES_FIELD_NUMBER: _ClassVar[int]
    FROM_CONFIRM_TIME_FIELD_NUMBER: _ClassVar[int]
    FROM_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    TO_CONDITION_NOTES_FIELD_NUMBER: _ClassVar[int]
    TO_CONFIRM_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    checklist: _containers.RepeatedScalarFieldContainer[str]
    confirm_deadline: _timestamp_pb2.Timestamp
    from_condition_notes: str
    from_confirm_time: _timestamp_pb2.Timestamp
    from_organization_id: str
    id: str
    plan_id: str
    state: HandoverState
    time: _timestamp_pb2.Timestamp
    to_condition_notes: str
    to_confirm_time: _timestamp_pb2.Timestamp
    to_organization_id: str
    unit_resource_id: str
    def __init__(self, id: _Optional[str] = ..., plan_id: _Optional[str] = ..., unit_resource_id: _Optional[str] = ..., from_organization_id: _Optional[str] = ..., to_organization_id: _Optional[str] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., confirm_deadline: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., checklist: _Optional[_Iterable[str]] = ..., from_confirm_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., to_confirm_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., from_condition_notes: _Optional[str] = ..., to_condition_notes: _Optional[str] = ..., state: _Optional[_Union[HandoverState, str]] = ...) -> None: ...

class JoinWaitlistRequest(_message.Message):
    __slots__ = ["contact_email", "end_time", "organization_id", "quantity", "request_id", "resource_id", "start_time", "title"]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    contact_email: str
    end_time: _timestamp_pb2.Timestamp
    organization_id: str
    quantity: int
    request_id: str
    resource_id: str
    start_time: _timestamp_pb2.Timestamp
    title: str
    def __init__(self, resource_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., quantity: _Optional[int] = ..., title: _Optional[str] = ..., organization_id: _Optional[str] = ..., request_id: _Optional[str] = ..., contact_email: _Optional[str] = ...) -> None: ...

class LeaveWaitlistRequest(_message.Message):
    __slots__ = ["id", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListBookingsRequest(_message.Message):
    __slots__ = ["end_time", "organization_id", "page_size", "page_token", "resource_id", "start_time", "states"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    organization_id: str
    page_size: int
    page_token: str
    resource_id: str
    start_time: _timestamp_pb2.Timestamp
    states: _containers.RepeatedScalarFieldContainer[BookingState]
    def __init__(self, resource_id: _Optional[str] = ..., organization_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., states: _Optional[_Iterable[_Union[BookingState, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBookingsResponse(_message.Message):
    __slots__ = ["bookings", "next_page_token"]
    BOOKINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    bookings: _containers.RepeatedCompositeFieldContainer[Booking]
    next_page_token: str
    def __init__(self, bookings: _Optional[_Iterable[_Union[Booking, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListCalendarFeedsRequest(_message.Message):
    __slots__ = ["organization_id"]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    organization_id: str
    def __init__(self, organization_id: _Optional[str] = ...) -> None: ...

class ListCalendarFeedsResponse(_message.Message):
    __slots__ = ["feeds"]
    FEEDS_FIELD_NUMBER: _ClassVar[int]
    feeds: _containers.RepeatedCompositeFieldContainer[CalendarFeed]
    def __init__(self, feeds: _Optional[_Iterable[_Union[CalendarFeed, _Mapping]]] = ...) -> None: ...

class ListHandoversRequest(_message.Message):
    __slots__ = ["plan_id"]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    def __init__(self, plan_id: _Optional[str] = ...) -> None: ...

class ListHandoversResponse(_message.Message):
    __slots__ = ["handovers"]
    HANDOVERS_FIELD_NUMBER: _ClassVar[int]
    handovers: _containers.RepeatedCompositeFieldContainer[Handover]
    def __init__(self, handovers: _Optional[_Iterable[_Union[Handover, _Mapping]]] = ...) -> None: ...

class ListRotationPoolsRequest(_message.Message):
    __slots__ = ["organization_id"]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    organization_id: str
    def __init__(self, organization_id: _Optional[str] = ...) -> None: ...

class ListRotationPoolsResponse(_message.Message):
    __slots__ = ["pools"]
    POOLS_FIELD_NUMBER: _ClassVar[int]
    pools: _containers.RepeatedCompositeFieldContainer[RotationPool]
    def __init__(self, pools: _Optional[_Iterable[_Union[RotationPool, _Mapping]]] = ...) -> None: ...

class ListRotationRequestsRequest(_message.Message):
    __slots__ = ["include_withdrawn", "pool_id"]
    INCLUDE_WITHDRAWN_FIELD_NUMBER: _ClassVar[int]
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    include_withdrawn: bool
    pool_id: str
    def __init__(self, pool_id: _Optional[str] = ..., include_withdrawn: bool = ...) -> None: ...

class ListRotationRequestsResponse(_message.Message):
    __slots__ = ["requests"]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[RotationRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[RotationRequest, _Mapping]]] = ...) -> None: ...

class ListWaitlistRequest(_message.Message):
    __slots__ = ["resource_id"]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    resource_id: str
    def __init__(self, resource_id: _Optional[str] = ...) -> None: ...

class ListWaitlistResponse(_message.Message):
    __slots__ = ["entries"]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[WaitlistEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[WaitlistEntry, _Mapping]]] = ...) -> None: ...

class OccurrenceResult(_message.Message):
    __slots__ = ["booking", "end_time", "message", "reason", "start_time"]
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    booking: Booking
    end_time: _timestamp_pb2.Timestamp
    message: str
    reason: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., booking: _Optional[_Union[Booking, _Mapping]] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class PassedOver(_message.Message):
    __slots__ = ["detail", "display_name", "reason", "resource_id"]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    detail: str
    display_name: str
    reason: PassOverReason
    resource_id: str
    def __init__(self, resource_id: _Optional[str] = ..., display_name: _Optional[str] = ..., reason: _Optional[_Union[PassOverReason, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class PlanRotationRequest(_message.Message):
    __slots__ = ["horizon_end_time", "horizon_start_time", "pins", "pool_id", "sme_weight"]
    HORIZON_END_TIME_FIELD_NUMBER: _ClassVar[int]
    HORIZON_START_TIME_FIELD_NUMBER: _ClassVar[int]
    PINS_FIELD_NUMBER: _ClassVar[int]
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    SME_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    horizon_end_time: _timestamp_pb2.Timestamp
    horizon_start_time: _timestamp_pb2.Timestamp
    pins: _containers.RepeatedCompositeFieldContainer[PlannedAssignment]
    pool_id: str
    sme_weight: float
    def __init__(self, pool_id: _Optional[str] = ..., horizon_start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., horizon_end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., sme_weight: _Optional[float] = ..., pins: _Optional[_Iterable[_Union[PlannedAssignment, _Mapping]]] = ...) -> None: ...

class PlannedAssignment(_message.Message):
    __slots__ = ["end_time", "organization_id", "pinned", "request_id", "start_time", "unit_resource_id"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    PINNED_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    UNIT_RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    organization_id: str
    pinned: bool
    request_id: str
    start_time: _timestamp_pb2.Timestamp
    unit_resource_id: str
    def __init__(self, request_id: _Optional[str] = ..., unit_resource_id: _Optional[str] = ..., organization_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., pinned: bool = ...) -> None: ...

class PreviewRotationPlanRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class RecordTrainingRequest(_message.Message):
    __slots__ = ["organization_id", "request_id", "resource_id", "revoke"]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    REVOKE_FIELD_NUMBER: _ClassVar[int]
    organization_id: str
    request_id: str
    resource_id: str
    revoke: bool
    def __init__(self, resource_id: _Optional[str] = ..., organization_id: _Optional[str] = ..., revoke: bool = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordTrainingResponse(_message.Message):
    __slots__ = ["resource_id", "trained_organization_ids"]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    TRAINED_ORGANIZATION_IDS_FIELD_NUMBER: _ClassVar[int]
    resource_id: str
    trained_organization_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, resource_id: _Optional[str] = ..., trained_organization_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RejectBookingRequest(_message.Message):
    __slots__ = ["id", "reason", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ResourceUsage(_message.Message):
    __slots__ = ["available_hours", "booked_hours", "display_name", "in_kind_hours", "resource_id", "tariff_revenue_cents", "utilisation"]
    AVAILABLE_HOURS_FIELD_NUMBER: _ClassVar[int]
    BOOKED_HOURS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    IN_KIND_HOURS_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    TARIFF_REVENUE_CENTS_FIELD_NUMBER: _ClassVar[int]
    UTILISATION_FIELD_NUMBER: _ClassVar[int]
    available_hours: float
    booked_hours: float
    display_name: str
    in_kind_hours: float
    resource_id: str
    tariff_revenue_cents: int
    utilisation: float
    def __init__(self, resource_id: _Optional[str] = ..., display_name: _Optional[str] = ..., available_hours: _Optional[float] = ..., booked_hours: _Optional[float] = ..., utilisation: _Optional[float] = ..., tariff_revenue_cents: _Optional[int] = ..., in_kind_hours: _Optional[float] = ...) -> None: ...

class RevokeCalendarFeedRequest(_message.Message):
    __slots__ = ["id", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RotationCommitUndoReport(_message.Message):
    __slots__ = ["failures", "plan_id", "replaced_plan_id", "truncated"]
    class Failure(_message.Message):
        __slots__ = ["booking_ids", "cancelled_booking_ids", "reason", "unit_resource_id"]
        BOOKING_IDS_FIELD_NUMBER: _ClassVar[int]
        CANCELLED_BOOKING_IDS_FIELD_NUMBER: _ClassVar[int]
        REASON_FIELD_NUMBER: _ClassVar[int]
        UNIT_RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
        booking_ids: _containers.RepeatedScalarFieldContainer[str]
        cancelled_booking_ids: _containers.RepeatedScalarFieldContainer[str]
        reason: str
        unit_resource_id: str
        def __init__(self, unit_resource_id: _Optional[str] = ..., booking_ids: _Optional[_Iterable[str]] = ..., cancelled_booking_ids: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    REPLACED_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    failures: _containers.RepeatedCompositeFieldContainer[RotationCommitUndoReport.Failure]
    plan_id: str
    replaced_plan_id: str
    truncated: bool
    def __init__(self, plan_id: _Optional[str] = ..., replaced_plan_id: _Optional[str] = ..., failures: _Optional[_Iterable[_Union[RotationCommitUndoReport.Failure, _Mapping]]] = ..., truncated: bool = ...) -> None: ...

class RotationEvent(_message.Message):
    __slots__ = ["cursor", "handover", "type"]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    HANDOVER_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    handover: Handover
    type: RotationEventType
    def __init__(self, cursor: _Optional[str] = ..., type: _Optional[_Union[RotationEventType, str]] = ..., handover: _Optional[_Union[Handover, _Mapping]] = ...) -> None: ...

class RotationLeg(_message.Message):
    __slots__ = ["booking_id", "end_time", "kind", "km", "request_id", "start_time", "to"]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    KM_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    end_time: _timestamp_pb2.Timestamp
    kind: RotationLegKind
    km: float
    request_id: str
    start_time: _timestamp_pb2.Timestamp
    to: _registry_pb2.GeoPoint
    def __init__(self, kind: _Optional[_Union[RotationLegKind, str]] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ..., to: _Optional[_Union[_registry_pb2.GeoPoint, _Mapping]] = ..., km: _Optional[float] = ..., booking_id: _Optional[str] = ..., **kwargs) -> None: ...

class RotationPlan(_message.Message):
    __slots__ = ["assignments", "booking_ids", "commit_time", "create_time", "fulfilled_days", "horizon_end_time", "horizon_start_time", "id", "max_partner_share", "min_partner_share", "pool_id", "replaces_plan_id", "replan_from_time", "requested_days", "state", "unfulfilled", "unit_etags", "units"]
    class UnitEtagsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    BOOKING_IDS_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    FULFILLED_DAYS_FIELD_NUMBER: _ClassVar[int]
    HORIZON_END_TIME_FIELD_NUMBER: _ClassVar[int]
    HORIZON_START_TIME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MAX_PARTNER_SHARE_FIELD_NUMBER: _ClassVar[int]
    MIN_PARTNER_SHARE_FIELD_NUMBER: _ClassVar[int]
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    REPLACES_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    REPLAN_FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_DAYS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    UNFULFILLED_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    UNIT_ETAGS_FIELD_NUMBER: _ClassVar[int]
    assignments: _containers.RepeatedCompositeFieldContainer[PlannedAssignment]
    booking_ids: _containers.RepeatedScalarFieldContainer[str]
    commit_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    fulfilled_days: int
    horizon_end_time: _timestamp_pb2.Timestamp
    horizon_start_time: _timestamp_pb2.Timestamp
    id: str
    max_partner_share: float
    min_partner_share: float
    pool_id: str
    replaces_plan_id: str
    replan_from_time: _timestamp_pb2.Timestamp
    requested_days: int
    state: RotationPlanState
    unfulfilled: _containers.RepeatedCompositeFieldContainer[UnfulfilledRequest]
    unit_etags: _containers.ScalarMap[str, str]
    units: _containers.RepeatedCompositeFieldContainer[UnitSchedule]
    def __init__(self, id: _Optional[str] = ..., pool_id: _Optional[str] = ..., horizon_start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., horizon_end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., assignments: _Optional[_Iterable[_Union[PlannedAssignment, _Mapping]]] = ..., units: _Optional[_Iterable[_Union[UnitSchedule, _Mapping]]] = ..., unfulfilled: _Optional[_Iterable[_Union[UnfulfilledRequest, _Mapping]]] = ..., requested_days: _Optional[int] = ..., fulfilled_days: _Optional[int] = ..., min_partner_share: _Optional[float] = ..., max_partner_share: _Optional[float] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., unit_etags: _Optional[_Mapping[str, str]] = ..., state: _Optional[_Union[RotationPlanState, str]] = ..., booking_ids: _Optional[_Iterable[str]] = ..., commit_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., replaces_plan_id: _Optional[str] = ..., replan_from_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RotationPlanDiff(_message.Message):
    __slots__ = ["added", "committed_plan_id", "moved", "plan_id", "removed", "unchanged"]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    MOVED_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    added: _containers.RepeatedCompositeFieldContainer[PlannedAssignment]
    committed_plan_id: str
    moved: _containers.RepeatedCompositeFieldContainer[PlannedAssignment]
    plan_id: str
    removed: _containers.RepeatedCompositeFieldContainer[PlannedAssignment]
    unchanged: int
    def __init__(self, plan_id: _Optional[str] = ..., committed_plan_id: _Optional[str] = ..., added: _Optional[_Iterable[_Union[PlannedAssignment, _Mapping]]] = ..., removed: _Optional[_Iterable[_Union[PlannedAssignment, _Mapping]]] = ..., moved: _Optional[_Iterable[_Union[PlannedAssignment, _Mapping]]] = ..., unchanged: _Optional[int] = ...) -> None: ...

class RotationPolicy(_message.Message):
    __slots__ = ["handover_checklist", "handover_confirm_hours", "maintenance_after_days", "maintenance_days", "maintenance_location", "road_factor", "setup_minutes", "speed_kmh", "teardown_minutes"]
    HANDOVER_CHECKLIST_FIELD_NUMBER: _ClassVar[int]
    HANDOVER_CONFIRM_HOURS_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_AFTER_DAYS_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_DAYS_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_LOCATION_FIELD_NUMBER: _ClassVar[int]
    ROAD_FACTOR_FIELD_NUMBER: _ClassVar[int]
    SETUP_MINUTES_FIELD_NUMBER: _ClassVar[int]
    SPEED_KMH_FIELD_NUMBER: _ClassVar[int]
    TEARDOWN_MINUTES_FIELD_NUMBER: _ClassVar[int]
    handover_checklist: _containers.RepeatedScalarFieldContainer[str]
    handover_confirm_hours: int
    maintenance_after_days: int
    maintenance_days: int
    maintenance_location: _registry_pb2.GeoPoint
    road_factor: float
    setup_minutes: int
    speed_kmh: float
    teardown_minutes: int
    def __init__(self, speed_kmh: _Optional[float] = ..., road_factor: _Optional[float] = ..., setup_minutes: _Optional[int] = ..., teardown_minutes: _Optional[int] = ..., maintenance_after_days: _Optional[int] = ..., maintenance_days: _Optional[int] = ..., maintenance_location: _Optional[_Union[_registry_pb2.GeoPoint, _Mapping]] = ..., handover_checklist: _Optional[_Iterable[str]] = ..., handover_confirm_hours: _Optional[int] = ...) -> None: ...

class RotationPool(_message.Message):
    __slots__ = ["display_name", "etag", "id", "owner_organization_id", "policy", "unit_resource_ids"]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    UNIT_RESOURCE_IDS_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    etag: str
    id: str
    owner_organization_id: str
    policy: RotationPolicy
    unit_resource_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., owner_organization_id: _Optional[str] = ..., display_name: _Optional[str] = ..., unit_resource_ids: _Optional[_Iterable[str]] = ..., policy: _Optional[_Union[RotationPolicy, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class RotationRequest(_message.Message):
    __slots__ = ["duration_days", "earliest_start_time", "etag", "id", "latest_end_time", "location", "notes", "organization_id", "pool_id", "priority", "sme", "state", "unit_resource_id", "units"]
    DURATION_DAYS_FIELD_NUMBER: _ClassVar[int]
    EARLIEST_START_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LATEST_END_TIME_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    SME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    UNIT_RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    duration_days: int
    earliest_start_time: _timestamp_pb2.Timestamp
    etag: str
    id: str
    latest_end_time: _timestamp_pb2.Timestamp
    location: _registry_pb2.GeoPoint
    notes: str
    organization_id: str
    pool_id: str
    priority: int
    sme: bool
    state: RotationRequestState
    unit_resource_id: str
    units: int
    def __init__(self, id: _Optional[str] = ..., pool_id: _Optional[str] = ..., organization_id: _Optional[str] = ..., location: _Optional[_Union[_registry_pb2.GeoPoint, _Mapping]] = ..., earliest_start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., latest_end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., duration_days: _Optional[int] = ..., units: _Optional[int] = ..., unit_resource_id: _Optional[str] = ..., priority: _Optional[int] = ..., sme: bool = ..., notes: _Optional[str] = ..., state: _Optional[_Union[RotationRequestState, str]] = ..., etag: _Optional[str] = ...) -> None: ...

class SubmitBookingRequest(_message.Message):
    __slots__ = ["id", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class UnfulfilledRequest(_message.Message):
    __slots__ = ["reason", "request_id"]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    reason: str
    request_id: str
    def __init__(self, request_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class UnitSchedule(_message.Message):
    __slots__ = ["legs", "unit_resource_id"]
    LEGS_FIELD_NUMBER: _ClassVar[int]
    UNIT_RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    legs: _containers.RepeatedCompositeFieldContainer[RotationLeg]
    unit_resource_id: str
    def __init__(self, unit_resource_id: _Optional[str] = ..., legs: _Optional[_Iterable[_Union[RotationLeg, _Mapping]]] = ...) -> None: ...

class UpdateRotationRequestRequest(_message.Message):
    __slots__ = ["request_id", "rotation_request"]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ROTATION_REQUEST_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    rotation_request: RotationRequest
    def __init__(self, rotation_request: _Optional[_Union[RotationRequest, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class UsageReportRequest(_message.Message):
    __slots__ = ["end_time", "network_id", "organization_id", "start_time"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    network_id: str
    organization_id: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, organization_id: _Optional[str] = ..., network_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UsageReportResponse(_message.Message):
    __slots__ = ["available_hours", "booked_hours", "by_booker_kind", "in_kind_hours", "resources", "tariff_revenue_cents", "utilisation"]
    AVAILABLE_HOURS_FIELD_NUMBER: _ClassVar[int]
    BOOKED_HOURS_FIELD_NUMBER: _ClassVar[int]
    BY_BOOKER_KIND_FIELD_NUMBER: _ClassVar[int]
    IN_KIND_HOURS_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    TARIFF_REVENUE_CENTS_FIELD_NUMBER: _ClassVar[int]
    UTILISATION_FIELD_NUMBER: _ClassVar[int]
    available_hours: float
    booked_hours: float
    by_booker_kind: _containers.RepeatedCompositeFieldContainer[BookerKindHours]
    in_kind_hours: float
    resources: _containers.RepeatedCompositeFieldContainer[ResourceUsage]
    tariff_revenue_cents: int
    utilisation: float
    def __init__(self, resources: _Optional[_Iterable[_Union[ResourceUsage, _Mapping]]] = ..., by_booker_kind: _Optional[_Iterable[_Union[BookerKindHours, _Mapping]]] = ..., available_hours: _Optional[float] = ..., booked_hours: _Optional[float] = ..., utilisation: _Optional[float] = ..., tariff_revenue_cents: _Optional[int] = ..., in_kind_hours: _Optional[float] = ...) -> None: ...

class WaitlistEntry(_message.Message):
    __slots__ = ["booking_id", "create_time", "end_time", "id", "organization_id", "quantity", "resource_id", "start_time", "state", "title"]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    create_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    id: str
    organization_id: str
    quantity: int
    resource_id: str
    start_time: _timestamp_pb2.Timestamp
    state: WaitlistState
    title: str
    def __init__(self, id: _Optional[str] = ..., resource_id: _Optional[str] = ..., organization_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., quantity: _Optional[int] = ..., state: _Optional[_Union[WaitlistState, str]] = ..., booking_id: _Optional[str] = ..., title: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WatchBookingsRequest(_message.Message):
    __slots__ = ["cursor", "resource_id"]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    resource_id: str
    def __init__(self, resource_id: _Optional[str] = ..., cursor: _Optional[str] = ...) -> None: ...

class WatchRotationEventsRequest(_message.Message):
    __slots__ = ["cursor"]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    def __init__(self, cursor: _Optional[str] = ...) -> None: ...

class WithdrawRotationRequestRequest(_message.Message):
    __slots__ = ["id", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class BookingState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RecurrenceMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class WaitlistState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class PassOverReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class BookingEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RotationRequestState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RotationLegKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RotationPlanState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class HandoverState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RotationEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RotationExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
