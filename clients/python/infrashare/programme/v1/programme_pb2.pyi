from infrashare._api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

AUDIENCE_EMPLOYEES: Audience
AUDIENCE_SMES: Audience
AUDIENCE_STUDENTS: Audience
AUDIENCE_TEACHERS: Audience
AUDIENCE_UNSPECIFIED: Audience
DESCRIPTOR: _descriptor.FileDescriptor
EVENT_KIND_COURSE: EventKind
EVENT_KIND_DEMO: EventKind
EVENT_KIND_HACKATHON: EventKind
EVENT_KIND_MASTERCLASS: EventKind
EVENT_KIND_MEETUP: EventKind
EVENT_KIND_OPEN_DAY: EventKind
EVENT_KIND_UNSPECIFIED: EventKind
EVENT_STATE_CANCELLED: EventState
EVENT_STATE_SCHEDULED: EventState
EVENT_STATE_UNSPECIFIED: EventState
EVENT_VISIBILITY_NETWORK: EventVisibility
EVENT_VISIBILITY_PUBLIC: EventVisibility
EVENT_VISIBILITY_UNSPECIFIED: EventVisibility
REGISTRATION_STATE_ADMITTED: RegistrationState
REGISTRATION_STATE_CANCELLED: RegistrationState
REGISTRATION_STATE_UNSPECIFIED: RegistrationState
REGISTRATION_STATE_WAITLISTED: RegistrationState

class CancelEventRequest(_message.Message):
    __slots__ = ["etag", "id", "reason", "request_id"]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    etag: str
    id: str
    reason: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CancelRegistrationRequest(_message.Message):
    __slots__ = ["event_id", "registration_id", "request_id"]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    registration_id: str
    request_id: str
    def __init__(self, event_id: _Optional[str] = ..., registration_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateEventRequest(_message.Message):
    __slots__ = ["event", "request_id"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    event: Event
    request_id: str
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ["audiences", "booking_id", "cancel_reason", "capacity", "create_time", "description", "end_time", "etag", "id", "kind", "language", "network_id", "organizer_organization_id", "price_cents", "registered", "registration_open", "resource_id", "start_time", "state", "time_zone", "title", "update_time", "visibility", "waitlisted"]
    AUDIENCES_FIELD_NUMBER: _ClassVar[int]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZER_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_CENTS_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_OPEN_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    WAITLISTED_FIELD_NUMBER: _ClassVar[int]
    audiences: _containers.RepeatedScalarFieldContainer[Audience]
    booking_id: str
    cancel_reason: str
    capacity: int
    create_time: _timestamp_pb2.Timestamp
    description: str
    end_time: _timestamp_pb2.Timestamp
    etag: str
    id: str
    kind: EventKind
    language: str
    network_id: str
    organizer_organization_id: str
    price_cents: int
    registered: int
    registration_open: bool
    resource_id: str
    start_time: _timestamp_pb2.Timestamp
    state: EventState
    time_zone: str
    title: str
    update_time: _timestamp_pb2.Timestamp
    visibility: EventVisibility
    waitlisted: int
    def __init__(self, id: _Optional[str] = ..., resource_id: _Optional[str] = ..., network_id: _Optional[str] = ..., organizer_organization_id: _Optional[str] = ..., kind: _Optional[_Union[EventKind, str]] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ..., language: _Optional[str] = ..., audiences: _Optional[_Iterable[_Union[Audience, str]]] = ..., capacity: _Optional[int] = ..., price_cents: _Optional[int] = ..., registration_open: bool = ..., visibility: _Optional[_Union[EventVisibility, str]] = ..., state: _Optional[_Union[EventState, str]] = ..., booking_id: _Optional[str] = ..., registered: _Optional[int] = ..., waitlisted: _Optional[int] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_reason: _Optional[str] = ...) -> None: ...

class ExportProgrammeCalendarRequest(_message.Message):
    __slots__ = ["from_time", "network_id", "resource_id", "to_time"]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_TIME_FIELD_NUMBER: _ClassVar[int]
    from_time: _timestamp_pb2.Timestamp
    network_id: str
    resource_id: str
    to_time: _timestamp_pb2.Timestamp
    def __init__(self, resource_id: _Optional[str] = ..., network_id: _Optional[str] = ..., from_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., to_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportProgrammeCalendarResponse(_message.Message):
    __slots__ = ["calendar", "content_type"]
    CALENDAR_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    calendar: str
    content_type: str
    def __init__(self, content_type: _Optional[str] = ..., calendar: _Optional[str] = ...) -> None: ...

class GetEventRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListEventsRequest(_message.Message):
    __slots__ = ["audience", "from_time", "include_cancelled", "kind", "network_id", "page_size", "page_token", "resource_id", "to_time"]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CANCELLED_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_TIME_FIELD_NUMBER: _ClassVar[int]
    audience: Audience
    from_time: _timestamp_pb2.Timestamp
    include_cancelled: bool
    kind: EventKind
    network_id: str
    page_size: int
    page_token: str
    resource_id: str
    to_time: _timestamp_pb2.Timestamp
    def __init__(self, resource_id: _Optional[str] = ..., network_id: _Optional[str] = ..., from_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., to_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[EventKind, str]] = ..., audience: _Optional[_Union[Audience, str]] = ..., include_cancelled: bool = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ["events", "next_page_token"]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListRegistrationsRequest(_message.Message):
    __slots__ = ["event_id", "page_size", "page_token"]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    page_size: int
    page_token: str
    def __init__(self, event_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRegistrationsResponse(_message.Message):
    __slots__ = ["next_page_token", "registrations"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REGISTRATIONS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    registrations: _containers.RepeatedCompositeFieldContainer[Registration]
    def __init__(self, registrations: _Optional[_Iterable[_Union[Registration, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RecordAttendanceRequest(_message.Message):
    __slots__ = ["attended", "event_id", "registration_id", "request_id"]
    ATTENDED_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    attended: bool
    event_id: str
    registration_id: str
    request_id: str
    def __init__(self, event_id: _Optional[str] = ..., registration_id: _Optional[str] = ..., attended: bool = ..., request_id: _Optional[str] = ...) -> None: ...

class RegisterRequest(_message.Message):
    __slots__ = ["event_id", "person_email", "person_name", "places", "request_id"]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_EMAIL_FIELD_NUMBER: _ClassVar[int]
    PERSON_NAME_FIELD_NUMBER: _ClassVar[int]
    PLACES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    person_email: str
    person_name: str
    places: int
    request_id: str
    def __init__(self, event_id: _Optional[str] = ..., person_name: _Optional[str] = ..., person_email: _Optional[str] = ..., places: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class Registration(_message.Message):
    __slots__ = ["attendance_recorded", "attended", "create_time", "event_id", "id", "organization_id", "person_email", "person_name", "places", "state", "update_time", "waitlist_position"]
    ATTENDANCE_RECORDED_FIELD_NUMBER: _ClassVar[int]
    ATTENDED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_EMAIL_FIELD_NUMBER: _ClassVar[int]
    PERSON_NAME_FIELD_NUMBER: _ClassVar[int]
    PLACES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    WAITLIST_POSITION_FIELD_NUMBER: _ClassVar[int]
    attendance_recorded: bool
    attended: bool
    create_time: _timestamp_pb2.Timestamp
    event_id: str
    id: str
    organization_id: str
    person_email: str
    person_name: str
    places: int
    state: RegistrationState
    update_time: _timestamp_pb2.Timestamp
    waitlist_position: int
    def __init__(self, id: _Optional[str] = ..., event_id: _Optional[str] = ..., organization_id: _Optional[str] = ..., person_name: _Optional[str] = ..., person_email: _Optional[str] = ..., places: _Optional[int] = ..., state: _Optional[_Union[RegistrationState, str]] = ..., waitlist_position: _Optional[int] = ..., attended: bool = ..., attendance_recorded: bool = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateEventRequest(_message.Message):
    __slots__ = ["event", "request_id", "update_mask"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    event: Event
    request_id: str
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class EventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Audience(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class EventVisibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class EventState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RegistrationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
