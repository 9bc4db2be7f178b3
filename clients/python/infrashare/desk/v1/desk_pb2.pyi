from infrashare._api import annotations_pb2 as _annotations_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from infrashare.registry.v1 import registry_pb2 as _registry_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DECLINE_REASON_ALREADY_HELPED: DeclineReason
DECLINE_REASON_MORE_INFORMATION: DeclineReason
DECLINE_REASON_NO_CAPACITY: DeclineReason
DECLINE_REASON_OTHER: DeclineReason
DECLINE_REASON_OUTSIDE_REGION: DeclineReason
DECLINE_REASON_OUT_OF_SCOPE: DeclineReason
DECLINE_REASON_UNSPECIFIED: DeclineReason
DESCRIPTOR: _descriptor.FileDescriptor
HISTORY_KIND_ACCEPTED: HistoryKind
HISTORY_KIND_CONSENT: HistoryKind
HISTORY_KIND_DECLINED: HistoryKind
HISTORY_KIND_ERASED: HistoryKind
HISTORY_KIND_ESCALATED: HistoryKind
HISTORY_KIND_FEEDBACK: HistoryKind
HISTORY_KIND_FOLLOW_UP_DUE: HistoryKind
HISTORY_KIND_FOLLOW_UP_RECORDED: HistoryKind
HISTORY_KIND_OFFERED: HistoryKind
HISTORY_KIND_QUEUED: HistoryKind
HISTORY_KIND_REFERRED: HistoryKind
HISTORY_KIND_RESOLVED: HistoryKind
HISTORY_KIND_SUBMITTED: HistoryKind
HISTORY_KIND_TIMED_OUT: HistoryKind
HISTORY_KIND_UNSPECIFIED: HistoryKind
HISTORY_KIND_WITHDRAWN: HistoryKind
INQUIRY_EVENT_TYPE_ACCEPTED: InquiryEventType
INQUIRY_EVENT_TYPE_CONSENT: InquiryEventType
INQUIRY_EVENT_TYPE_DECLINED: InquiryEventType
INQUIRY_EVENT_TYPE_ESCALATED: InquiryEventType
INQUIRY_EVENT_TYPE_FEEDBACK: InquiryEventType
INQUIRY_EVENT_TYPE_FOLLOW_UP_DUE: InquiryEventType
INQUIRY_EVENT_TYPE_FOLLOW_UP_RECORDED: InquiryEventType
INQUIRY_EVENT_TYPE_OFFERED: InquiryEventType
INQUIRY_EVENT_TYPE_QUEUED: InquiryEventType
INQUIRY_EVENT_TYPE_REFERRED: InquiryEventType
INQUIRY_EVENT_TYPE_RESOLVED: InquiryEventType
INQUIRY_EVENT_TYPE_SUBMITTED: InquiryEventType
INQUIRY_EVENT_TYPE_TIMED_OUT: InquiryEventType
INQUIRY_EVENT_TYPE_UNSPECIFIED: InquiryEventType
INQUIRY_EVENT_TYPE_WITHDRAWN: InquiryEventType
INQUIRY_STATE_ASSIGNED: InquiryState
INQUIRY_STATE_ESCALATED: InquiryState
INQUIRY_STATE_OFFERED: InquiryState
INQUIRY_STATE_QUEUED: InquiryState
INQUIRY_STATE_RESOLVED: InquiryState
INQUIRY_STATE_ROUTING: InquiryState
INQUIRY_STATE_UNSPECIFIED: InquiryState
NEED_TYPE_FACILITY_ACCESS: NeedType
NEED_TYPE_INNOVATION: NeedType
NEED_TYPE_OTHER: NeedType
NEED_TYPE_RESEARCH: NeedType
NEED_TYPE_TALENT: NeedType
NEED_TYPE_TRAINING: NeedType
NEED_TYPE_UNSPECIFIED: NeedType
OUTCOME_ANSWERED: Outcome
OUTCOME_FACILITY_BOOKED: Outcome
OUTCOME_INTERNSHIP_ARRANGED: Outcome
OUTCOME_NO_MATCH: Outcome
OUTCOME_REFERRED_OUTSIDE: Outcome
OUTCOME_TRAINING_ENROLLED: Outcome
OUTCOME_UNSPECIFIED: Outcome
OUTCOME_WITHDRAWN: Outcome
URGENCY_HIGH: Urgency
URGENCY_LOW: Urgency
URGENCY_NORMAL: Urgency
URGENCY_UNSPECIFIED: Urgency

class AcceptInquiryRequest(_message.Message):
    __slots__ = ["id", "request_id", "responder_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONDER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    request_id: str
    responder_id: str
    def __init__(self, id: _Optional[str] = ..., responder_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class AskerConsent(_message.Message):
    __slots__ = ["follow_up", "how", "recorded_by", "share_across_networks", "time"]
    FOLLOW_UP_FIELD_NUMBER: _ClassVar[int]
    HOW_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    SHARE_ACROSS_NETWORKS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    follow_up: bool
    how: str
    recorded_by: str
    share_across_networks: bool
    time: _timestamp_pb2.Timestamp
    def __init__(self, share_across_networks: bool = ..., follow_up: bool = ..., how: _Optional[str] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_by: _Optional[str] = ...) -> None: ...

class AskerContact(_message.Message):
    __slots__ = ["email", "name", "organization_name", "phone"]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    email: str
    name: str
    organization_name: str
    phone: str
    def __init__(self, name: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., organization_name: _Optional[str] = ...) -> None: ...

class CreateResponderRequest(_message.Message):
    __slots__ = ["request_id", "responder"]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONDER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    responder: Responder
    def __init__(self, responder: _Optional[_Union[Responder, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeclineInquiryRequest(_message.Message):
    __slots__ = ["id", "reason", "reason_code", "request_id", "responder_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONDER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    reason_code: DeclineReason
    request_id: str
    responder_id: str
    def __init__(self, id: _Optional[str] = ..., responder_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., reason_code: _Optional[_Union[DeclineReason, str]] = ...) -> None: ...

class DeleteResponderRequest(_message.Message):
    __slots__ = ["id", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteResponderResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeskReport(_message.Message):
    __slots__ = ["accepted", "accepted_within_deadline_share", "average_score", "by_entry_partner", "by_need_type", "confirmed_by_asker", "end_time", "escalated_inquiries", "escalations", "feedback_responses", "first_accept_p50", "first_accept_p90", "follow_ups_pending", "help_not_started", "inquiries", "network_id", "open_inquiries", "outcomes", "referrals_per_inquiry", "referrals_received", "referrals_sent", "resolved", "sme_share", "start_time", "would_recommend_share", "would_work_again_share"]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_WITHIN_DEADLINE_SHARE_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_SCORE_FIELD_NUMBER: _ClassVar[int]
    BY_ENTRY_PARTNER_FIELD_NUMBER: _ClassVar[int]
    BY_NEED_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_BY_ASKER_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_INQUIRIES_FIELD_NUMBER: _ClassVar[int]
    ESCALATIONS_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_RESPONSES_FIELD_NUMBER: _ClassVar[int]
    FIRST_ACCEPT_P50_FIELD_NUMBER: _ClassVar[int]
    FIRST_ACCEPT_P90_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UPS_PENDING_FIELD_NUMBER: _ClassVar[int]
    HELP_NOT_STARTED_FIELD_NUMBER: _ClassVar[int]
    INQUIRIES_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    OPEN_INQUIRIES_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    REFERRALS_PER_INQUIRY_FIELD_NUMBER: _ClassVar[int]
    REFERRALS_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    REFERRALS_SENT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    SME_SHARE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    WOULD_RECOMMEND_SHARE_FIELD_NUMBER: _ClassVar[int]
    WOULD_WORK_AGAIN_SHARE_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    accepted_within_deadline_share: float
    average_score: float
    by_entry_partner: _containers.RepeatedCompositeFieldContainer[OrganizationCount]
    by_need_type: _containers.RepeatedCompositeFieldContainer[NeedTypeCount]
    confirmed_by_asker: int
    end_time: _timestamp_pb2.Timestamp
    escalated_inquiries: int
    escalations: int
    feedback_responses: int
    first_accept_p50: _duration_pb2.Duration
    first_accept_p90: _duration_pb2.Duration
    follow_ups_pending: int
    help_not_started: int
    inquiries: int
    network_id: str
    open_inquiries: int
    outcomes: _containers.RepeatedCompositeFieldContainer[OutcomeCount]
    referrals_per_inquiry: float
    referrals_received: int
    referrals_sent: int
    resolved: int
    sme_share: float
    start_time: _timestamp_pb2.Timestamp
    would_recommend_share: float
    would_work_again_share: float
    def __init__(self, network_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., inquiries: _Optional[int] = ..., by_entry_partner: _Optional[_Iterable[_Union[OrganizationCount, _Mapping]]] = ..., by_need_type: _Optional[_Iterable[_Union[NeedTypeCount, _Mapping]]] = ..., accepted: _Optional[int] = ..., first_accept_p50: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., first_accept_p90: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., accepted_within_deadline_share: _Optional[float] = ..., referrals_per_inquiry: _Optional[float] = ..., escalated_inquiries: _Optional[int] = ..., escalations: _Optional[int] = ..., outcomes: _Optional[_Iterable[_Union[OutcomeCount, _Mapping]]] = ..., open_inquiries: _Optional[int] = ..., feedback_responses: _Optional[int] = ..., average_score: _Optional[float] = ..., would_recommend_share: _Optional[float] = ..., would_work_again_share: _Optional[float] = ..., sme_share: _Optional[float] = ..., referrals_sent: _Optional[int] = ..., referrals_received: _Optional[int] = ..., resolved: _Optional[int] = ..., confirmed_by_asker: _Optional[int] = ..., help_not_started: _Optional[int] = ..., follow_ups_pending: _Optional[int] = ...) -> None: ...

class DeskReportRequest(_message.Message):
    __slots__ = ["end_time", "network_id", "start_time"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    network_id: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, network_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EraseAskerRequest(_message.Message):
    __slots__ = ["id", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class Feedback(_message.Message):
    __slots__ = ["comment", "score", "time", "would_recommend", "would_work_again"]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    WOULD_RECOMMEND_FIELD_NUMBER: _ClassVar[int]
    WOULD_WORK_AGAIN_FIELD_NUMBER: _ClassVar[int]
    comment: str
    score: int
    time: _timestamp_pb2.Timestamp
    would_recommend: bool
    would_work_again: bool
    def __init__(self, score: _Optional[int] = ..., would_recommend: bool = ..., would_work_again: bool = ..., comment: _Optional[str] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FollowUp(_message.Message):
    __slots__ = ["answer_time", "due_time", "help_started", "note", "state"]
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = []
    ANSWER_TIME_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    HELP_STARTED_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    STATE_ANSWERED: FollowUp.State
    STATE_DUE: FollowUp.State
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_SCHEDULED: FollowUp.State
    STATE_UNSPECIFIED: FollowUp.State
    answer_time: _timestamp_pb2.Timestamp
    due_time: _timestamp_pb2.Timestamp
    help_started: bool
    note: str
    state: FollowUp.State
    def __init__(self, state: _Optional[_Union[FollowUp.State, str]] = ..., due_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., help_started: bool = ..., note: _Optional[str] = ..., answer_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetInquiryRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetResponderRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ["actor", "kind", "level", "network_id", "note", "organization_id", "reason_code", "responder_id", "time"]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    RESPONDER_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    actor: str
    kind: HistoryKind
    level: int
    network_id: str
    note: str
    organization_id: str
    reason_code: DeclineReason
    responder_id: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[HistoryKind, str]] = ..., actor: _Optional[str] = ..., responder_id: _Optional[str] = ..., organization_id: _Optional[str] = ..., note: _Optional[str] = ..., level: _Optional[int] = ..., reason_code: _Optional[_Union[DeclineReason, str]] = ..., network_id: _Optional[str] = ...) -> None: ...

class Inquiry(_message.Message):
    __slots__ = ["accepted_within_deadline", "asker_is_sme", "asker_organization_id", "assignee_id", "attempts", "booking_id", "consent", "contact", "contact_erased", "create_time", "entry_organization_id", "escalation_level", "escalations", "etag", "feedback", "first_accept_time", "follow_up", "history", "id", "language", "location", "need_type", "network_chain", "network_id", "offer_deadline", "offered_to", "outcome", "referral_chain", "referrals", "region", "resolution_note", "resolve_time", "state", "suggested_network_ids", "suggestions", "target_organization_id", "target_responder_id", "text", "themes", "urgency"]
    ACCEPTED_WITHIN_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    ASKER_IS_SME_FIELD_NUMBER: _ClassVar[int]
    ASKER_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_ERASED_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    ESCALATIONS_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    FIRST_ACCEPT_TIME_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UP_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    NEED_TYPE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_CHAIN_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    OFFERED_TO_FIELD_NUMBER: _ClassVar[int]
    OFFER_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REFERRALS_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_CHAIN_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_NOTE_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SUGGESTED_NETWORK_IDS_FIELD_NUMBER: _ClassVar[int]
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    TARGET_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_RESPONDER_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    THEMES_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    accepted_within_deadline: bool
    asker_is_sme: bool
    asker_organization_id: str
    assignee_id: str
    attempts: int
    booking_id: str
    consent: AskerConsent
    contact: AskerContact
    contact_erased: bool
    create_time: _timestamp_pb2.Timestamp
    entry_organization_id: str
    escalation_level: int
    escalations: int
    etag: str
    feedback: Feedback
    first_accept_time: _timestamp_pb2.Timestamp
    follow_up: FollowUp
    history: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    id: str
    language: str
    location: _registry_pb2.GeoPoint
    need_type: NeedType
    network_chain: _containers.RepeatedScalarFieldContainer[str]
    network_id: str
    offer_deadline: _timestamp_pb2.Timestamp
    offered_to: _containers.RepeatedScalarFieldContainer[str]
    outcome: Outcome
    referral_chain: _containers.RepeatedScalarFieldContainer[str]
    referrals: int
    region: str
    resolution_note: str
    resolve_time: _timestamp_pb2.Timestamp
    state: InquiryState
    suggested_network_ids: _containers.RepeatedScalarFieldContainer[str]
    suggestions: _containers.RepeatedCompositeFieldContainer[Suggestion]
    target_organization_id: str
    target_responder_id: str
    text: str
    themes: _containers.RepeatedScalarFieldContainer[_registry_pb2.Theme]
    urgency: Urgency
    def __init__(self, id: _Optional[str] = ..., network_id: _Optional[str] = ..., entry_organization_id: _Optional[str] = ..., need_type: _Optional[_Union[NeedType, str]] = ..., themes: _Optional[_Iterable[_Union[_registry_pb2.Theme, str]]] = ..., region: _Optional[str] = ..., text: _Optional[str] = ..., urgency: _Optional[_Union[Urgency, str]] = ..., language: _Optional[str] = ..., asker_is_sme: bool = ..., contact: _Optional[_Union[AskerContact, _Mapping]] = ..., state: _Optional[_Union[InquiryState, str]] = ..., offered_to: _Optional[_Iterable[str]] = ..., offer_deadline: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., assignee_id: _Optional[str] = ..., attempts: _Optional[int] = ..., escalation_level: _Optional[int] = ..., target_organization_id: _Optional[str] = ..., target_responder_id: _Optional[str] = ..., outcome: _Optional[_Union[Outcome, str]] = ..., booking_id: _Optional[str] = ..., resolution_note: _Optional[str] = ..., feedback: _Optional[_Union[Feedback, _Mapping]] = ..., contact_erased: bool = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., first_accept_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., history: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ..., etag: _Optional[str] = ..., suggestions: _Optional[_Iterable[_Union[Suggestion, _Mapping]]] = ..., referrals: _Optional[int] = ..., escalations: _Optional[int] = ..., accepted_within_deadline: bool = ..., location: _Optional[_Union[_registry_pb2.GeoPoint, _Mapping]] = ..., asker_organization_id: _Optional[str] = ..., consent: _Optional[_Union[AskerConsent, _Mapping]] = ..., network_chain: _Optional[_Iterable[str]] = ..., referral_chain: _Optional[_Iterable[str]] = ..., suggested_network_ids: _Optional[_Iterable[str]] = ..., follow_up: _Optional[_Union[FollowUp, _Mapping]] = ...) -> None: ...

class InquiryEvent(_message.Message):
    __slots__ = ["cursor", "inquiry", "inquiry_id", "responder_id", "type"]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    INQUIRY_FIELD_NUMBER: _ClassVar[int]
    INQUIRY_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONDER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    inquiry: Inquiry
    inquiry_id: str
    responder_id: str
    type: InquiryEventType
    def __init__(self, cursor: _Optional[str] = ..., type: _Optional[_Union[InquiryEventType, str]] = ..., inquiry_id: _Optional[str] = ..., responder_id: _Optional[str] = ..., inquiry: _Optional[_Union[Inquiry, _Mapping]] = ...) -> None: ...

class ListAssignmentsRequest(_message.Message):
    __slots__ = ["responder_id"]
    RESPONDER_ID_FIELD_NUMBER: _ClassVar[int]
    responder_id: str
    def __init__(self, responder_id: _Optional[str] = ...) -> None: ...

class ListAssignmentsResponse(_message.Message):
    __slots__ = ["assigned", "offered"]
    ASSIGNED_FIELD_NUMBER: _ClassVar[int]
    OFFERED_FIELD_NUMBER: _ClassVar[int]
    assigned: _containers.RepeatedCompositeFieldContainer[Inquiry]
    offered: _containers.RepeatedCompositeFieldContainer[Inquiry]
    def __init__(self, offered: _Optional[_Iterable[_Union[Inquiry, _Mapping]]] = ..., assigned: _Optional[_Iterable[_Union[Inquiry, _Mapping]]] = ...) -> None: ...

class ListInquiriesRequest(_message.Message):
    __slots__ = ["entry_organization_id", "escalated", "follow_up_due", "network_id", "page_size", "page_token", "responder_id", "states"]
    ENTRY_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UP_DUE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESPONDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    entry_organization_id: str
    escalated: bool
    follow_up_due: bool
    network_id: str
    page_size: int
    page_token: str
    responder_id: str
    states: _containers.RepeatedScalarFieldContainer[InquiryState]
    def __init__(self, network_id: _Optional[str] = ..., entry_organization_id: _Optional[str] = ..., responder_id: _Optional[str] = ..., states: _Optional[_Iterable[_Union[InquiryState, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., escalated: bool = ..., follow_up_due: bool = ...) -> None: ...

class ListInquiriesResponse(_message.Message):
    __slots__ = ["inquiries", "next_page_token"]
    INQUIRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    inquiries: _containers.RepeatedCompositeFieldContainer[Inquiry]
    next_page_token: str
    def __init__(self, inquiries: _Optional[_Iterable[_Union[Inquiry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListRespondersRequest(_message.Message):
    __slots__ = ["organization_id", "page_size", "page_token"]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    organization_id: str
    page_size: int
    page_token: str
    def __init__(self, organization_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRespondersResponse(_message.Message):
    __slots__ = ["next_page_token", "responders"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESPONDERS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    responders: _containers.RepeatedCompositeFieldContainer[Responder]
    def __init__(self, responders: _Optional[_Iterable[_Union[Responder, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class NeedTypeCount(_message.Message):
    __slots__ = ["inquiries", "need_type"]
    INQUIRIES_FIELD_NUMBER: _ClassVar[int]
    NEED_TYPE_FIELD_NUMBER: _ClassVar[int]
    inquiries: int
    need_type: NeedType
    def __init__(self, need_type: _Optional[_Union[NeedType, str]] = ..., inquiries: _Optional[int] = ...) -> None: ...

class OrganizationCount(_message.Message):
    __slots__ = ["inquiries", "organization_id"]
    INQUIRIES_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    inquiries: int
    organization_id: str
    def __init__(self, organization_id: _Optional[str] = ..., inquiries: _Optional[int] = ...) -> None: ...

class OutcomeCount(_message.Message):
    __slots__ = ["inquiries", "outcome"]
    INQUIRIES_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    inquiries: int
    outcome: Outcome
    def __init__(self, outcome: _Optional[_Union[Outcome, str]] = ..., inquiries: _Optional[int] = ...) -> None: ...

class RecordConsentRequest(_message.Message):
    __slots__ = ["consent", "id", "request_id"]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    consent: AskerConsent
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., consent: _Optional[_Union[AskerConsent, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordFeedbackRequest(_message.Message):
    __slots__ = ["feedback", "id", "request_id"]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    feedback: Feedback
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., feedback: _Optional[_Union[Feedback, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordFollowUpRequest(_message.Message):
    __slots__ = ["help_started", "id", "note", "request_id"]
    HELP_STARTED_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    help_started: bool
    id: str
    note: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., help_started: bool = ..., note: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReferInquiryRequest(_message.Message):
    __slots__ = ["id", "note", "request_id", "responder_id", "target_network_id", "target_organization_id", "target_responder_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONDER_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_RESPONDER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    note: str
    request_id: str
    responder_id: str
    target_network_id: str
    target_organization_id: str
    target_responder_id: str
    def __init__(self, id: _Optional[str] = ..., responder_id: _Optional[str] = ..., target_organization_id: _Optional[str] = ..., target_responder_id: _Optional[str] = ..., note: _Optional[str] = ..., request_id: _Optional[str] = ..., target_network_id: _Optional[str] = ...) -> None: ...

class ResolveInquiryRequest(_message.Message):
    __slots__ = ["booking_id", "id", "note", "outcome", "request_id", "responder_id"]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONDER_ID_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    id: str
    note: str
    outcome: Outcome
    request_id: str
    responder_id: str
    def __init__(self, id: _Optional[str] = ..., responder_id: _Optional[str] = ..., outcome: _Optional[_Union[Outcome, str]] = ..., booking_id: _Optional[str] = ..., note: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class Responder(_message.Message):
    __slots__ = ["absences", "base", "capacity", "display_name", "email", "etag", "id", "languages", "online", "open_inquiries", "organization_id", "radius_km", "regions", "skills", "themes", "time_zone", "token_id", "working_hours"]
    ABSENCES_FIELD_NUMBER: _ClassVar[int]
    BASE_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    OPEN_INQUIRIES_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    RADIUS_KM_FIELD_NUMBER: _ClassVar[int]
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    THEMES_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKING_HOURS_FIELD_NUMBER: _ClassVar[int]
    absences: _containers.RepeatedCompositeFieldContainer[_registry_pb2.TimeInterval]
    base: _registry_pb2.GeoPoint
    capacity: int
    display_name: str
    email: str
    etag: str
    id: str
    languages: _containers.RepeatedScalarFieldContainer[str]
    online: bool
    open_inquiries: int
    organization_id: str
    radius_km: float
    regions: _containers.RepeatedScalarFieldContainer[str]
    skills: _containers.RepeatedScalarFieldContainer[NeedType]
    themes: _containers.RepeatedScalarFieldContainer[_registry_pb2.Theme]
    time_zone: str
    token_id: str
    working_hours: _containers.RepeatedCompositeFieldContainer[_registry_pb2.AvailabilityRule]
    def __init__(self, id: _Optional[str] = ..., organization_id: _Optional[str] = ..., display_name: _Optional[str] = ..., token_id: _Optional[str] = ..., skills: _Optional[_Iterable[_Union[NeedType, str]]] = ..., themes: _Optional[_Iterable[_Union[_registry_pb2.Theme, str]]] = ..., regions: _Optional[_Iterable[str]] = ..., languages: _Optional[_Iterable[str]] = ..., capacity: _Optional[int] = ..., time_zone: _Optional[str] = ..., working_hours: _Optional[_Iterable[_Union[_registry_pb2.AvailabilityRule, _Mapping]]] = ..., absences: _Optional[_Iterable[_Union[_registry_pb2.TimeInterval, _Mapping]]] = ..., online: bool = ..., open_inquiries: _Optional[int] = ..., etag: _Optional[str] = ..., base: _Optional[_Union[_registry_pb2.GeoPoint, _Mapping]] = ..., radius_km: _Optional[float] = ..., email: _Optional[str] = ...) -> None: ...

class SetResponderOnlineRequest(_message.Message):
    __slots__ = ["id", "online", "request_id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    online: bool
    request_id: str
    def __init__(self, id: _Optional[str] = ..., online: bool = ..., request_id: _Optional[str] = ...) -> None: ...

class StreamAssignmentsRequest(_message.Message):
    __slots__ = ["cursor", "responder_id"]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    RESPONDER_ID_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    responder_id: str
    def __init__(self, responder_id: _Optional[str] = ..., cursor: _Optional[str] = ...) -> None: ...

class SubmitInquiryRequest(_message.Message):
    __slots__ = ["asker_is_sme", "asker_organization_id", "consent", "contact", "entry_organization_id", "language", "location", "need_type", "network_id", "region", "request_id", "text", "themes", "urgency"]
    ASKER_IS_SME_FIELD_NUMBER: _ClassVar[int]
    ASKER_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    NEED_TYPE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    THEMES_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    asker_is_sme: bool
    asker_organization_id: str
    consent: AskerConsent
    contact: AskerContact
    entry_organization_id: str
    language: str
    location: _registry_pb2.GeoPoint
    need_type: NeedType
    network_id: str
    region: str
    request_id: str
    text: str
    themes: _containers.RepeatedScalarFieldContainer[_registry_pb2.Theme]
    urgency: Urgency
    def __init__(self, entry_organization_id: _Optional[str] = ..., network_id: _Optional[str] = ..., need_type: _Optional[_Union[NeedType, str]] = ..., themes: _Optional[_Iterable[_Union[_registry_pb2.Theme, str]]] = ..., region: _Optional[str] = ..., text: _Optional[str] = ..., urgency: _Optional[_Union[Urgency, str]] = ..., language: _Optional[str] = ..., asker_is_sme: bool = ..., contact: _Optional[_Union[AskerContact, _Mapping]] = ..., request_id: _Optional[str] = ..., location: _Optional[_Union[_registry_pb2.GeoPoint, _Mapping]] = ..., asker_organization_id: _Optional[str] = ..., consent: _Optional[_Union[AskerConsent, _Mapping]] = ...) -> None: ...

class Suggestion(_message.Message):
    __slots__ = ["display_name", "earliest_end_time", "earliest_start_time", "resource_id"]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EARLIEST_END_TIME_FIELD_NUMBER: _ClassVar[int]
    EARLIEST_START_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    earliest_end_time: _timestamp_pb2.Timestamp
    earliest_start_time: _timestamp_pb2.Timestamp
    resource_id: str
    def __init__(self, resource_id: _Optional[str] = ..., display_name: _Optional[str] = ..., earliest_start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., earliest_end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateResponderRequest(_message.Message):
    __slots__ = ["request_id", "responder"]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONDER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    responder: Responder
    def __init__(self, responder: _Optional[_Union[Responder, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class WatchInquiryRequest(_message.Message):
    __slots__ = ["cursor", "id"]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    id: str
    def __init__(self, id: _Optional[str] = ..., cursor: _Optional[str] = ...) -> None: ...

class NeedType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Urgency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class InquiryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class HistoryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class DeclineReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class InquiryEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
