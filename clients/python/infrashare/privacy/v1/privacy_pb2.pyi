from infrashare.programme.v1 import programme_pb2 as _programme_pb2
from infrashare._api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from infrashare.desk.v1 import desk_pb2 as _desk_pb2
from infrashare.registry.v1 import registry_pb2 as _registry_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AskerRecord(_message.Message):
    __slots__ = ["consent", "contact", "create_time", "entry_organization_id", "feedback_comment", "follow_up", "inquiry_id", "network_id", "state", "text"]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_COMMENT_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UP_FIELD_NUMBER: _ClassVar[int]
    INQUIRY_ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    consent: _desk_pb2.AskerConsent
    contact: _desk_pb2.AskerContact
    create_time: _timestamp_pb2.Timestamp
    entry_organization_id: str
    feedback_comment: str
    follow_up: _desk_pb2.FollowUp
    inquiry_id: str
    network_id: str
    state: _desk_pb2.InquiryState
    text: str
    def __init__(self, inquiry_id: _Optional[str] = ..., network_id: _Optional[str] = ..., entry_organization_id: _Optional[str] = ..., contact: _Optional[_Union[_desk_pb2.AskerContact, _Mapping]] = ..., text: _Optional[str] = ..., feedback_comment: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[_desk_pb2.InquiryState, str]] = ..., consent: _Optional[_Union[_desk_pb2.AskerConsent, _Mapping]] = ..., follow_up: _Optional[_Union[_desk_pb2.FollowUp, _Mapping]] = ...) -> None: ...

class BookingContactRecord(_message.Message):
    __slots__ = ["booking_id", "email", "end_time", "resource_id", "start_time", "state"]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    email: str
    end_time: _timestamp_pb2.Timestamp
    resource_id: str
    start_time: _timestamp_pb2.Timestamp
    state: str
    def __init__(self, booking_id: _Optional[str] = ..., resource_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class ContactRecord(_message.Message):
    __slots__ = ["contact", "object_id", "object_name"]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    OBJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    contact: _registry_pb2.Contact
    object_id: str
    object_name: str
    def __init__(self, object_id: _Optional[str] = ..., object_name: _Optional[str] = ..., contact: _Optional[_Union[_registry_pb2.Contact, _Mapping]] = ...) -> None: ...

class EmailPreferences(_message.Message):
    __slots__ = ["all_off", "language", "moments_off"]
    ALL_OFF_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    MOMENTS_OFF_FIELD_NUMBER: _ClassVar[int]
    all_off: bool
    language: str
    moments_off: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, all_off: bool = ..., moments_off: _Optional[_Iterable[str]] = ..., language: _Optional[str] = ...) -> None: ...

class ErasePersonalDataRequest(_message.Message):
    __slots__ = ["email", "erase_texts"]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ERASE_TEXTS_FIELD_NUMBER: _ClassVar[int]
    email: str
    erase_texts: bool
    def __init__(self, email: _Optional[str] = ..., erase_texts: bool = ...) -> None: ...

class ErasePersonalDataResponse(_message.Message):
    __slots__ = ["booking_contacts", "emails", "event_registrations", "inquiries", "network_coordinators", "organization_contacts", "responders", "staff_contacts", "webhook_deliveries"]
    BOOKING_CONTACTS_FIELD_NUMBER: _ClassVar[int]
    EMAILS_FIELD_NUMBER: _ClassVar[int]
    EVENT_REGISTRATIONS_FIELD_NUMBER: _ClassVar[int]
    INQUIRIES_FIELD_NUMBER: _ClassVar[int]
    NETWORK_COORDINATORS_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_CONTACTS_FIELD_NUMBER: _ClassVar[int]
    RESPONDERS_FIELD_NUMBER: _ClassVar[int]
    STAFF_CONTACTS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    booking_contacts: int
    emails: int
    event_registrations: int
    inquiries: int
    network_coordinators: int
    organization_contacts: int
    responders: int
    staff_contacts: int
    webhook_deliveries: int
    def __init__(self, inquiries: _Optional[int] = ..., staff_contacts: _Optional[int] = ..., organization_contacts: _Optional[int] = ..., network_coordinators: _Optional[int] = ..., event_registrations: _Optional[int] = ..., emails: _Optional[int] = ..., responders: _Optional[int] = ..., booking_contacts: _Optional[int] = ..., webhook_deliveries: _Optional[int] = ...) -> None: ...

class ExportPersonalDataRequest(_message.Message):
    __slots__ = ["email", "page_size", "page_token"]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    email: str
    page_size: int
    page_token: str
    def __init__(self, email: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class PersonalData(_message.Message):
    __slots__ = ["booking_contacts", "email", "email_preferences", "event_registrations", "export_time", "inquiries", "network_coordinators", "next_page_token", "organization_contacts", "responders", "staff"]
    BOOKING_CONTACTS_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    EMAIL_PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    EVENT_REGISTRATIONS_FIELD_NUMBER: _ClassVar[int]
    EXPORT_TIME_FIELD_NUMBER: _ClassVar[int]
    INQUIRIES_FIELD_NUMBER: _ClassVar[int]
    NETWORK_COORDINATORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_CONTACTS_FIELD_NUMBER: _ClassVar[int]
    RESPONDERS_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    booking_contacts: _containers.RepeatedCompositeFieldContainer[BookingContactRecord]
    email: str
    email_preferences: EmailPreferences
    event_registrations: _containers.RepeatedCompositeFieldContainer[_programme_pb2.Registration]
    export_time: _timestamp_pb2.Timestamp
    inquiries: _containers.RepeatedCompositeFieldContainer[AskerRecord]
    network_coordinators: _containers.RepeatedCompositeFieldContainer[ContactRecord]
    next_page_token: str
    organization_contacts: _containers.RepeatedCompositeFieldContainer[ContactRecord]
    responders: _containers.RepeatedCompositeFieldContainer[_desk_pb2.Responder]
    staff: _containers.RepeatedCompositeFieldContainer[StaffRecord]
    def __init__(self, email: _Optional[str] = ..., export_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., inquiries: _Optional[_Iterable[_Union[AskerRecord, _Mapping]]] = ..., staff: _Optional[_Iterable[_Union[StaffRecord, _Mapping]]] = ..., organization_contacts: _Optional[_Iterable[_Union[ContactRecord, _Mapping]]] = ..., network_coordinators: _Optional[_Iterable[_Union[ContactRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., event_registrations: _Optional[_Iterable[_Union[_programme_pb2.Registration, _Mapping]]] = ..., responders: _Optional[_Iterable[_Union[_desk_pb2.Responder, _Mapping]]] = ..., email_preferences: _Optional[_Union[EmailPreferences, _Mapping]] = ..., booking_contacts: _Optional[_Iterable[_Union[BookingContactRecord, _Mapping]]] = ...) -> None: ...

class StaffRecord(_message.Message):
    __slots__ = ["contact", "owner_organization_id", "resource_id", "resource_name"]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    OWNER_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_NAME_FIELD_NUMBER: _ClassVar[int]
    contact: _registry_pb2.StaffContact
    owner_organization_id: str
    resource_id: str
    resource_name: str
    def __init__(self, resource_id: _Optional[str] = ..., resource_name: _Optional[str] = ..., owner_organization_id: _Optional[str] = ..., contact: _Optional[_Union[_registry_pb2.StaffContact, _Mapping]] = ...) -> None: ...
