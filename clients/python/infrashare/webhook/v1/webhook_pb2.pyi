from infrashare._api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from infrashare.desk.v1 import desk_pb2 as _desk_pb2
from infrashare.programme.v1 import programme_pb2 as _programme_pb2
from infrashare.registry.v1 import registry_pb2 as _registry_pb2
from infrashare.scheduler.v1 import scheduler_pb2 as _scheduler_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
PROGRAMME_CHANGE_TYPE_CANCELLED: ProgrammeChangeType
PROGRAMME_CHANGE_TYPE_CREATED: ProgrammeChangeType
PROGRAMME_CHANGE_TYPE_UNSPECIFIED: ProgrammeChangeType
PROGRAMME_CHANGE_TYPE_UPDATED: ProgrammeChangeType
WEBHOOK_DELIVERY_OUTCOME_DEAD_LETTER: WebhookDeliveryOutcome
WEBHOOK_DELIVERY_OUTCOME_DELIVERED: WebhookDeliveryOutcome
WEBHOOK_DELIVERY_OUTCOME_RETRYING: WebhookDeliveryOutcome
WEBHOOK_DELIVERY_OUTCOME_UNSPECIFIED: WebhookDeliveryOutcome
WEBHOOK_EVENT_TYPE_BOOKING: WebhookEventType
WEBHOOK_EVENT_TYPE_BOOKING_REMINDER: WebhookEventType
WEBHOOK_EVENT_TYPE_DESK_ESCALATION: WebhookEventType
WEBHOOK_EVENT_TYPE_DESK_FEEDBACK: WebhookEventType
WEBHOOK_EVENT_TYPE_DESK_INQUIRY: WebhookEventType
WEBHOOK_EVENT_TYPE_DESK_OFFER: WebhookEventType
WEBHOOK_EVENT_TYPE_PROGRAMME: WebhookEventType
WEBHOOK_EVENT_TYPE_REGISTRY: WebhookEventType
WEBHOOK_EVENT_TYPE_ROTATION: WebhookEventType
WEBHOOK_EVENT_TYPE_UNSPECIFIED: WebhookEventType
WEBHOOK_EVENT_TYPE_WAITLIST: WebhookEventType

class CreateWebhookSubscriptionRequest(_message.Message):
    __slots__ = ["description", "event_types", "organization_id", "reminder_lead_seconds", "request_id", "target_url"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    REMINDER_LEAD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_URL_FIELD_NUMBER: _ClassVar[int]
    description: str
    event_types: _containers.RepeatedScalarFieldContainer[WebhookEventType]
    organization_id: str
    reminder_lead_seconds: int
    request_id: str
    target_url: str
    def __init__(self, organization_id: _Optional[str] = ..., target_url: _Optional[str] = ..., event_types: _Optional[_Iterable[_Union[WebhookEventType, str]]] = ..., description: _Optional[str] = ..., request_id: _Optional[str] = ..., reminder_lead_seconds: _Optional[int] = ...) -> None: ...

class DeleteWebhookSubscriptionRequest(_message.Message):
    __slots__ = ["id", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetWebhookSubscriptionRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListWebhookDeadLettersRequest(_message.Message):
    __slots__ = ["subscription_id"]
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    def __init__(self, subscription_id: _Optional[str] = ...) -> None: ...

class ListWebhookDeadLettersResponse(_message.Message):
    __slots__ = ["dead_letters"]
    DEAD_LETTERS_FIELD_NUMBER: _ClassVar[int]
    dead_letters: _containers.RepeatedCompositeFieldContainer[WebhookDeadLetter]
    def __init__(self, dead_letters: _Optional[_Iterable[_Union[WebhookDeadLetter, _Mapping]]] = ...) -> None: ...

class ListWebhookDeliveriesRequest(_message.Message):
    __slots__ = ["subscription_id"]
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    def __init__(self, subscription_id: _Optional[str] = ...) -> None: ...

class ListWebhookDeliveriesResponse(_message.Message):
    __slots__ = ["deliveries"]
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[WebhookDelivery]
    def __init__(self, deliveries: _Optional[_Iterable[_Union[WebhookDelivery, _Mapping]]] = ...) -> None: ...

class ListWebhookSubscriptionsRequest(_message.Message):
    __slots__ = ["organization_id"]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    organization_id: str
    def __init__(self, organization_id: _Optional[str] = ...) -> None: ...

class ListWebhookSubscriptionsResponse(_message.Message):
    __slots__ = ["subscriptions"]
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    subscriptions: _containers.RepeatedCompositeFieldContainer[WebhookSubscription]
    def __init__(self, subscriptions: _Optional[_Iterable[_Union[WebhookSubscription, _Mapping]]] = ...) -> None: ...

class ProgrammeChange(_message.Message):
    __slots__ = ["event", "type"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    event: _programme_pb2.Event
    type: ProgrammeChangeType
    def __init__(self, type: _Optional[_Union[ProgrammeChangeType, str]] = ..., event: _Optional[_Union[_programme_pb2.Event, _Mapping]] = ...) -> None: ...

class RedeliverWebhookDeadLettersRequest(_message.Message):
    __slots__ = ["request_id", "subscription_id", "webhook_ids"]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_IDS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    subscription_id: str
    webhook_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, subscription_id: _Optional[str] = ..., webhook_ids: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RedeliverWebhookDeadLettersResponse(_message.Message):
    __slots__ = ["queued"]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    queued: int
    def __init__(self, queued: _Optional[int] = ...) -> None: ...

class RotateWebhookSecretRequest(_message.Message):
    __slots__ = ["id", "overlap_seconds", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    overlap_seconds: int
    request_id: str
    def __init__(self, id: _Optional[str] = ..., overlap_seconds: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdateWebhookSubscriptionRequest(_message.Message):
    __slots__ = ["request_id", "subscription", "update_mask"]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    subscription: WebhookSubscription
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, subscription: _Optional[_Union[WebhookSubscription, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class WebhookData(_message.Message):
    __slots__ = ["booking", "inquiry", "programme", "resource", "rotation"]
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    INQUIRY_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    ROTATION_FIELD_NUMBER: _ClassVar[int]
    booking: _scheduler_pb2.BookingEvent
    inquiry: _desk_pb2.InquiryEvent
    programme: ProgrammeChange
    resource: _registry_pb2.ResourceChange
    rotation: _scheduler_pb2.RotationEvent
    def __init__(self, booking: _Optional[_Union[_scheduler_pb2.BookingEvent, _Mapping]] = ..., resource: _Optional[_Union[_registry_pb2.ResourceChange, _Mapping]] = ..., inquiry: _Optional[_Union[_desk_pb2.InquiryEvent, _Mapping]] = ..., rotation: _Optional[_Union[_scheduler_pb2.RotationEvent, _Mapping]] = ..., programme: _Optional[_Union[ProgrammeChange, _Mapping]] = ...) -> None: ...

class WebhookDeadLetter(_message.Message):
    __slots__ = ["attempts", "dead_time", "error", "first_attempt_time", "type", "webhook_id"]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    DEAD_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FIRST_ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    attempts: int
    dead_time: _timestamp_pb2.Timestamp
    error: str
    first_attempt_time: _timestamp_pb2.Timestamp
    type: str
    webhook_id: str
    def __init__(self, webhook_id: _Optional[str] = ..., type: _Optional[str] = ..., first_attempt_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., dead_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., attempts: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class WebhookDelivery(_message.Message):
    __slots__ = ["attempt", "attempt_time", "error", "latency_ms", "outcome", "status_code", "type", "webhook_id"]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    attempt_time: _timestamp_pb2.Timestamp
    error: str
    latency_ms: int
    outcome: WebhookDeliveryOutcome
    status_code: int
    type: str
    webhook_id: str
    def __init__(self, webhook_id: _Optional[str] = ..., type: _Optional[str] = ..., attempt_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., attempt: _Optional[int] = ..., status_code: _Optional[int] = ..., latency_ms: _Optional[int] = ..., outcome: _Optional[_Union[WebhookDeliveryOutcome, str]] = ..., error: _Optional[str] = ...) -> None: ...

class WebhookDisabled(_message.Message):
    __slots__ = ["reason", "time", "webhook_id"]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    reason: str
    time: _timestamp_pb2.Timestamp
    webhook_id: str
    def __init__(self, time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., webhook_id: _Optional[str] = ...) -> None: ...

class WebhookPayload(_message.Message):
    __slots__ = ["data", "subscription_id", "timestamp", "type"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    data: WebhookData
    subscription_id: str
    timestamp: _timestamp_pb2.Timestamp
    type: str
    def __init__(self, type: _Optional[str] = ..., timestamp: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., data: _Optional[_Union[WebhookData, _Mapping]] = ..., subscription_id: _Optional[str] = ...) -> None: ...

class WebhookSubscription(_message.Message):
    __slots__ = ["create_time", "created_by", "description", "disabled", "enabled", "etag", "event_types", "id", "organization_id", "previous_secret_expire_time", "reminder_lead_seconds", "secret", "target_url", "update_time"]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SECRET_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REMINDER_LEAD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    TARGET_URL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    create_time: _timestamp_pb2.Timestamp
    created_by: str
    description: str
    disabled: WebhookDisabled
    enabled: bool
    etag: str
    event_types: _containers.RepeatedScalarFieldContainer[WebhookEventType]
    id: str
    organization_id: str
    previous_secret_expire_time: _timestamp_pb2.Timestamp
    reminder_lead_seconds: int
    secret: str
    target_url: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., organization_id: _Optional[str] = ..., target_url: _Optional[str] = ..., event_types: _Optional[_Iterable[_Union[WebhookEventType, str]]] = ..., enabled: bool = ..., description: _Optional[str] = ..., secret: _Optional[str] = ..., previous_secret_expire_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., disabled: _Optional[_Union[WebhookDisabled, _Mapping]] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., created_by: _Optional[str] = ..., reminder_lead_seconds: _Optional[int] = ...) -> None: ...

class WebhookEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class WebhookDeliveryOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ProgrammeChangeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
