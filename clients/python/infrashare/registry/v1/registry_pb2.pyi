from infrashare._api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

ACCESS_POLICY_NETWORK_MEMBERS: AccessPolicy
ACCESS_POLICY_OWNER_ONLY: AccessPolicy
ACCESS_POLICY_PUBLIC: AccessPolicy
ACCESS_POLICY_REGISTERED_PARTNERS: AccessPolicy
ACCESS_POLICY_UNSPECIFIED: AccessPolicy
BOOKING_MODE_EXCLUSIVE: BookingMode
BOOKING_MODE_SHARED_CAPACITY: BookingMode
BOOKING_MODE_UNSPECIFIED: BookingMode
CHANGE_TYPE_CREATED: ChangeType
CHANGE_TYPE_DELETED: ChangeType
CHANGE_TYPE_UNSPECIFIED: ChangeType
CHANGE_TYPE_UPDATED: ChangeType
CLOSURE_KIND_CLOSED: ClosureKind
CLOSURE_KIND_MAINTENANCE: ClosureKind
CLOSURE_KIND_UNSPECIFIED: ClosureKind
DESCRIPTOR: _descriptor.FileDescriptor
LIFECYCLE_STATE_ACTIVE: LifecycleState
LIFECYCLE_STATE_MAINTENANCE: LifecycleState
LIFECYCLE_STATE_PLANNED: LifecycleState
LIFECYCLE_STATE_RETIRED: LifecycleState
LIFECYCLE_STATE_UNSPECIFIED: LifecycleState
MOBILITY_FIXED: Mobility
MOBILITY_MOBILE: Mobility
MOBILITY_UNSPECIFIED: Mobility
MOBILITY_VIRTUAL: Mobility
ORGANIZATION_KIND_COMPANY: OrganizationKind
ORGANIZATION_KIND_GOVERNMENT: OrganizationKind
ORGANIZATION_KIND_OTHER: OrganizationKind
ORGANIZATION_KIND_SECONDARY_SCHOOL: OrganizationKind
ORGANIZATION_KIND_UNIVERSITY: OrganizationKind
ORGANIZATION_KIND_UNIVERSITY_OF_APPLIED_SCIENCES: OrganizationKind
ORGANIZATION_KIND_UNSPECIFIED: OrganizationKind
ORGANIZATION_KIND_VOCATIONAL_SCHOOL: OrganizationKind
QUOTA_PERIOD_MONTH: QuotaPeriod
QUOTA_PERIOD_UNSPECIFIED: QuotaPeriod
QUOTA_PERIOD_WEEK: QuotaPeriod
REGION_LEVEL_COROP: RegionLevel
REGION_LEVEL_PROVINCE: RegionLevel
REGION_LEVEL_UNSPECIFIED: RegionLevel
RESOURCE_KIND_CAMPUS: ResourceKind
RESOURCE_KIND_DIGITAL_TWIN: ResourceKind
RESOURCE_KIND_EQUIPMENT: ResourceKind
RESOURCE_KIND_HUB: ResourceKind
RESOURCE_KIND_LAB: ResourceKind
RESOURCE_KIND_LIVING_LAB: ResourceKind
RESOURCE_KIND_MOBILE_LAB: ResourceKind
RESOURCE_KIND_REMOTE_LAB: ResourceKind
RESOURCE_KIND_REVERSED_CAMPUS: ResourceKind
RESOURCE_KIND_SIMULATION: ResourceKind
RESOURCE_KIND_UNSPECIFIED: ResourceKind
SEARCH_ORDER_DISTANCE: SearchOrder
SEARCH_ORDER_NAME: SearchOrder
SEARCH_ORDER_UNSPECIFIED: SearchOrder
SIZE_CLASS_LARGE: SizeClass
SIZE_CLASS_MEDIUM: SizeClass
SIZE_CLASS_MICRO: SizeClass
SIZE_CLASS_SMALL: SizeClass
SIZE_CLASS_UNSPECIFIED: SizeClass
STAFF_ROLE_COMMUNITY_MANAGER: StaffRole
STAFF_ROLE_FACILITY_MANAGER: StaffRole
STAFF_ROLE_PROGRAMME_COORDINATOR: StaffRole
STAFF_ROLE_UNSPECIFIED: StaffRole
TERMS_KIND_FREE: TermsKind
TERMS_KIND_IN_KIND: TermsKind
TERMS_KIND_TARIFF: TermsKind
TERMS_KIND_UNSPECIFIED: TermsKind
THEME_AGRI_HORTICULTURE: Theme
THEME_CHEMISTRY: Theme
THEME_CIRCULAR_ECONOMY: Theme
THEME_CONSTRUCTION: Theme
THEME_CREATIVE_INDUSTRY: Theme
THEME_DIGITALISATION: Theme
THEME_ENERGY_TRANSITION: Theme
THEME_FOOD: Theme
THEME_HEALTH_CARE: Theme
THEME_HOSPITALITY: Theme
THEME_LOGISTICS: Theme
THEME_MANUFACTURING: Theme
THEME_MARITIME: Theme
THEME_MOBILITY: Theme
THEME_SECURITY: Theme
THEME_UNSPECIFIED: Theme
THEME_WATER: Theme

class Address(_message.Message):
    __slots__ = ["city", "country", "postal_code", "street"]
    CITY_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    STREET_FIELD_NUMBER: _ClassVar[int]
    city: str
    country: str
    postal_code: str
    street: str
    def __init__(self, street: _Optional[str] = ..., postal_code: _Optional[str] = ..., city: _Optional[str] = ..., country: _Optional[str] = ...) -> None: ...

class AuditInfo(_message.Message):
    __slots__ = ["create_time", "created_by", "update_time", "updated_by"]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    create_time: _timestamp_pb2.Timestamp
    created_by: str
    update_time: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., updated_by: _Optional[str] = ...) -> None: ...

class Availability(_message.Message):
    __slots__ = ["closures", "etag", "resource_id", "rules"]
    CLOSURES_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    closures: _containers.RepeatedCompositeFieldContainer[Closure]
    etag: str
    resource_id: str
    rules: _containers.RepeatedCompositeFieldContainer[AvailabilityRule]
    def __init__(self, resource_id: _Optional[str] = ..., rules: _Optional[_Iterable[_Union[AvailabilityRule, _Mapping]]] = ..., closures: _Optional[_Iterable[_Union[Closure, _Mapping]]] = ..., etag: _Optional[str] = ...) -> None: ...

class AvailabilityRule(_message.Message):
    __slots__ = ["duration_minutes", "rrule", "start_time", "valid_from", "valid_until"]
    DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    RRULE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_UNTIL_FIELD_NUMBER: _ClassVar[int]
    duration_minutes: int
    rrule: str
    start_time: str
    valid_from: str
    valid_until: str
    def __init__(self, rrule: _Optional[str] = ..., start_time: _Optional[str] = ..., duration_minutes: _Optional[int] = ..., valid_from: _Optional[str] = ..., valid_until: _Optional[str] = ...) -> None: ...

class BookingRules(_message.Message):
    __slots__ = ["buffer_after_minutes", "buffer_before_minutes", "lead_time_minutes", "max_advance_days", "max_duration_minutes", "min_duration_minutes", "quota_hours", "quota_period", "sme_release_days", "sme_share_percent"]
    BUFFER_AFTER_MINUTES_FIELD_NUMBER: _ClassVar[int]
    BUFFER_BEFORE_MINUTES_FIELD_NUMBER: _ClassVar[int]
    LEAD_TIME_MINUTES_FIELD_NUMBER: _ClassVar[int]
    MAX_ADVANCE_DAYS_FIELD_NUMBER: _ClassVar[int]
    MAX_DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    MIN_DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    QUOTA_HOURS_FIELD_NUMBER: _ClassVar[int]
    QUOTA_PERIOD_FIELD_NUMBER: _ClassVar[int]
    SME_RELEASE_DAYS_FIELD_NUMBER: _ClassVar[int]
    SME_SHARE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    buffer_after_minutes: int
    buffer_before_minutes: int
    lead_time_minutes: int
    max_advance_days: int
    max_duration_minutes: int
    min_duration_minutes: int
    quota_hours: int
    quota_period: QuotaPeriod
    sme_release_days: int
    sme_share_percent: int
    def __init__(self, min_duration_minutes: _Optional[int] = ..., max_duration_minutes: _Optional[int] = ..., lead_time_minutes: _Optional[int] = ..., max_advance_days: _Optional[int] = ..., buffer_before_minutes: _Optional[int] = ..., buffer_after_minutes: _Optional[int] = ..., quota_hours: _Optional[int] = ..., quota_period: _Optional[_Union[QuotaPeriod, str]] = ..., sme_share_percent: _Optional[int] = ..., sme_release_days: _Optional[int] = ...) -> None: ...

class Catalog(_message.Message):
    __slots__ = ["availability", "networks", "organizations", "resources"]
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATIONS_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    availability: _containers.RepeatedCompositeFieldContainer[Availability]
    networks: _containers.RepeatedCompositeFieldContainer[Network]
    organizations: _containers.RepeatedCompositeFieldContainer[Organization]
    resources: _containers.RepeatedCompositeFieldContainer[Resource]
    def __init__(self, organizations: _Optional[_Iterable[_Union[Organization, _Mapping]]] = ..., networks: _Optional[_Iterable[_Union[Network, _Mapping]]] = ..., resources: _Optional[_Iterable[_Union[Resource, _Mapping]]] = ..., availability: _Optional[_Iterable[_Union[Availability, _Mapping]]] = ...) -> None: ...

class Closure(_message.Message):
    __slots__ = ["end_time", "kind", "reason", "start_time"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    kind: ClosureKind
    reason: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[ClosureKind, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class Contact(_message.Message):
    __slots__ = ["email", "name", "phone", "role"]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    email: str
    name: str
    phone: str
    role: str
    def __init__(self, name: _Optional[str] = ..., role: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ...) -> None: ...

class CoverageCell(_message.Message):
    __slots__ = ["active_resources", "region_code", "theme"]
    ACTIVE_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    THEME_FIELD_NUMBER: _ClassVar[int]
    active_resources: int
    region_code: str
    theme: Theme
    def __init__(self, region_code: _Optional[str] = ..., theme: _Optional[_Union[Theme, str]] = ..., active_resources: _Optional[int] = ...) -> None: ...

class CoverageReportRequest(_message.Message):
    __slots__ = ["level", "themes"]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    THEMES_FIELD_NUMBER: _ClassVar[int]
    level: RegionLevel
    themes: _containers.RepeatedScalarFieldContainer[Theme]
    def __init__(self, level: _Optional[_Union[RegionLevel, str]] = ..., themes: _Optional[_Iterable[_Union[Theme, str]]] = ...) -> None: ...

class CoverageReportResponse(_message.Message):
    __slots__ = ["by_kind", "cells", "white_spots"]
    BY_KIND_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    WHITE_SPOTS_FIELD_NUMBER: _ClassVar[int]
    by_kind: _containers.RepeatedCompositeFieldContainer[KindCount]
    cells: _containers.RepeatedCompositeFieldContainer[CoverageCell]
    white_spots: _containers.RepeatedCompositeFieldContainer[WhiteSpot]
    def __init__(self, cells: _Optional[_Iterable[_Union[CoverageCell, _Mapping]]] = ..., by_kind: _Optional[_Iterable[_Union[KindCount, _Mapping]]] = ..., white_spots: _Optional[_Iterable[_Union[WhiteSpot, _Mapping]]] = ...) -> None: ...

class CreateNetworkRequest(_message.Message):
    __slots__ = ["network", "network_id", "request_id"]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    network: Network
    network_id: str
    request_id: str
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ..., network_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateOrganizationRequest(_message.Message):
    __slots__ = ["organization", "organization_id", "request_id"]
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    organization: Organization
    organization_id: str
    request_id: str
    def __init__(self, organization: _Optional[_Union[Organization, _Mapping]] = ..., organization_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateResourceRequest(_message.Message):
    __slots__ = ["request_id", "resource", "resource_id"]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    resource: Resource
    resource_id: str
    def __init__(self, resource: _Optional[_Union[Resource, _Mapping]] = ..., resource_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteNetworkRequest(_message.Message):
    __slots__ = ["etag", "id", "request_id"]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    etag: str
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteOrganizationRequest(_message.Message):
    __slots__ = ["etag", "id", "request_id"]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    etag: str
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteResourceRequest(_message.Message):
    __slots__ = ["etag", "id", "request_id"]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    etag: str
    id: str
    request_id: str
    def __init__(self, id: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class Facet(_message.Message):
    __slots__ = ["field", "values"]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    field: str
    values: _containers.RepeatedCompositeFieldContainer[FacetValue]
    def __init__(self, field: _Optional[str] = ..., values: _Optional[_Iterable[_Union[FacetValue, _Mapping]]] = ...) -> None: ...

class FacetValue(_message.Message):
    __slots__ = ["count", "value"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    count: int
    value: str
    def __init__(self, value: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class GeoBox(_message.Message):
    __slots__ = ["north_east", "south_west"]
    NORTH_EAST_FIELD_NUMBER: _ClassVar[int]
    SOUTH_WEST_FIELD_NUMBER: _ClassVar[int]
    north_east: GeoPoint
    south_west: GeoPoint
    def __init__(self, south_west: _Optional[_Union[GeoPoint, _Mapping]] = ..., north_east: _Optional[_Union[GeoPoint, _Mapping]] = ...) -> None: ...

class GeoCircle(_message.Message):
    __slots__ = ["center", "radius_km"]
    CENTER_FIELD_NUMBER: _ClassVar[int]
    RADIUS_KM_FIELD_NUMBER: _ClassVar[int]
    center: GeoPoint
    radius_km: float
    def __init__(self, center: _Optional[_Union[GeoPoint, _Mapping]] = ..., radius_km: _Optional[float] = ...) -> None: ...

class GeoPoint(_message.Message):
    __slots__ = ["latitude", "longitude"]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ...) -> None: ...

class GetAvailabilityRequest(_message.Message):
    __slots__ = ["end_time", "resource_id", "start_time"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    resource_id: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, resource_id: _Optional[str] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetAvailabilityResponse(_message.Message):
    __slots__ = ["availability", "resource_id", "time_zone", "windows"]
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    availability: Availability
    resource_id: str
    time_zone: str
    windows: _containers.RepeatedCompositeFieldContainer[TimeInterval]
    def __init__(self, resource_id: _Optional[str] = ..., time_zone: _Optional[str] = ..., windows: _Optional[_Iterable[_Union[TimeInterval, _Mapping]]] = ..., availability: _Optional[_Union[Availability, _Mapping]] = ...) -> None: ...

class GetNetworkRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetOrganizationRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetResourceRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ImportResourcesRequest(_message.Message):
    __slots__ = ["request_id", "resources", "row_fields"]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    ROW_FIELDS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    resources: _containers.RepeatedCompositeFieldContainer[Resource]
    row_fields: _containers.RepeatedCompositeFieldContainer[_field_mask_pb2.FieldMask]
    def __init__(self, resources: _Optional[_Iterable[_Union[Resource, _Mapping]]] = ..., request_id: _Optional[str] = ..., row_fields: _Optional[_Iterable[_Union[_field_mask_pb2.FieldMask, _Mapping]]] = ...) -> None: ...

class ImportResourcesResponse(_message.Message):
    __slots__ = ["created", "failed", "rows", "unchanged", "updated"]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    created: int
    failed: int
    rows: _containers.RepeatedCompositeFieldContainer[ImportRowResult]
    unchanged: int
    updated: int
    def __init__(self, rows: _Optional[_Iterable[_Union[ImportRowResult, _Mapping]]] = ..., created: _Optional[int] = ..., updated: _Optional[int] = ..., failed: _Optional[int] = ..., unchanged: _Optional[int] = ...) -> None: ...

class ImportRowResult(_message.Message):
    __slots__ = ["created", "error", "field", "ok", "resource_id", "row"]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    ROW_FIELD_NUMBER: _ClassVar[int]
    created: bool
    error: str
    field: str
    ok: bool
    resource_id: str
    row: int
    def __init__(self, row: _Optional[int] = ..., resource_id: _Optional[str] = ..., ok: bool = ..., created: bool = ..., field: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class KindCount(_message.Message):
    __slots__ = ["active_resources", "kind"]
    ACTIVE_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    active_resources: int
    kind: ResourceKind
    def __init__(self, kind: _Optional[_Union[ResourceKind, str]] = ..., active_resources: _Optional[int] = ...) -> None: ...

class Lifecycle(_message.Message):
    __slots__ = ["expected_date", "funding_source", "state"]
    EXPECTED_DATE_FIELD_NUMBER: _ClassVar[int]
    FUNDING_SOURCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    expected_date: str
    funding_source: str
    state: LifecycleState
    def __init__(self, state: _Optional[_Union[LifecycleState, str]] = ..., expected_date: _Optional[str] = ..., funding_source: _Optional[str] = ...) -> None: ...

class ListNetworksRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNetworksResponse(_message.Message):
    __slots__ = ["networks", "next_page_token"]
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    networks: _containers.RepeatedCompositeFieldContainer[Network]
    next_page_token: str
    def __init__(self, networks: _Optional[_Iterable[_Union[Network, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListOrganizationsRequest(_message.Message):
    __slots__ = ["kind", "page_size", "page_token"]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    kind: OrganizationKind
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., kind: _Optional[_Union[OrganizationKind, str]] = ...) -> None: ...

class ListOrganizationsResponse(_message.Message):
    __slots__ = ["next_page_token", "organizations"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATIONS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    organizations: _containers.RepeatedCompositeFieldContainer[Organization]
    def __init__(self, organizations: _Optional[_Iterable[_Union[Organization, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListResourcesRequest(_message.Message):
    __slots__ = ["owner_organization_id", "page_size", "page_token"]
    OWNER_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    owner_organization_id: str
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., owner_organization_id: _Optional[str] = ...) -> None: ...

class ListResourcesResponse(_message.Message):
    __slots__ = ["next_page_token", "resources"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    resources: _containers.RepeatedCompositeFieldContainer[Resource]
    def __init__(self, resources: _Optional[_Iterable[_Union[Resource, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Location(_message.Message):
    __slots__ = ["address", "point", "region"]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    POINT_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    address: Address
    point: GeoPoint
    region: Region
    def __init__(self, point: _Optional[_Union[GeoPoint, _Mapping]] = ..., address: _Optional[_Union[Address, _Mapping]] = ..., region: _Optional[_Union[Region, _Mapping]] = ...) -> None: ...

class Network(_message.Message):
    __slots__ = ["audit", "coordinators", "demo", "description", "display_name", "etag", "id", "member_organization_ids", "public_impact", "region_codes", "themes"]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    COORDINATORS_FIELD_NUMBER: _ClassVar[int]
    DEMO_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ORGANIZATION_IDS_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_IMPACT_FIELD_NUMBER: _ClassVar[int]
    REGION_CODES_FIELD_NUMBER: _ClassVar[int]
    THEMES_FIELD_NUMBER: _ClassVar[int]
    audit: AuditInfo
    coordinators: _containers.RepeatedCompositeFieldContainer[Contact]
    demo: bool
    description: str
    display_name: str
    etag: str
    id: str
    member_organization_ids: _containers.RepeatedScalarFieldContainer[str]
    public_impact: bool
    region_codes: _containers.RepeatedScalarFieldContainer[str]
    themes: _containers.RepeatedScalarFieldContainer[Theme]
    def __init__(self, id: _Optional[str] = ..., display_name: _Optional[str] = ..., region_codes: _Optional[_Iterable[str]] = ..., themes: _Optional[_Iterable[_Union[Theme, str]]] = ..., member_organization_ids: _Optional[_Iterable[str]] = ..., coordinators: _Optional[_Iterable[_Union[Contact, _Mapping]]] = ..., description: _Optional[str] = ..., public_impact: bool = ..., demo: bool = ..., etag: _Optional[str] = ..., audit: _Optional[_Union[AuditInfo, _Mapping]] = ...) -> None: ...

class Organization(_message.Message):
    __slots__ = ["audit", "contacts", "demo", "display_name", "etag", "id", "kind", "location", "sbi_codes", "size_class", "sme", "website"]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    CONTACTS_FIELD_NUMBER: _ClassVar[int]
    DEMO_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    SBI_CODES_FIELD_NUMBER: _ClassVar[int]
    SIZE_CLASS_FIELD_NUMBER: _ClassVar[int]
    SME_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    audit: AuditInfo
    contacts: _containers.RepeatedCompositeFieldContainer[Contact]
    demo: bool
    display_name: str
    etag: str
    id: str
    kind: OrganizationKind
    location: Location
    sbi_codes: _containers.RepeatedScalarFieldContainer[str]
    size_class: SizeClass
    sme: bool
    website: str
    def __init__(self, id: _Optional[str] = ..., display_name: _Optional[str] = ..., kind: _Optional[_Union[OrganizationKind, str]] = ..., sme: bool = ..., size_class: _Optional[_Union[SizeClass, str]] = ..., sbi_codes: _Optional[_Iterable[str]] = ..., location: _Optional[_Union[Location, _Mapping]] = ..., contacts: _Optional[_Iterable[_Union[Contact, _Mapping]]] = ..., website: _Optional[str] = ..., demo: bool = ..., etag: _Optional[str] = ..., audit: _Optional[_Union[AuditInfo, _Mapping]] = ...) -> None: ...

class OverlapCandidate(_message.Message):
    __slots__ = ["distance_km", "kind", "resource_id_a", "resource_id_b", "theme"]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_A_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_B_FIELD_NUMBER: _ClassVar[int]
    THEME_FIELD_NUMBER: _ClassVar[int]
    distance_km: float
    kind: ResourceKind
    resource_id_a: str
    resource_id_b: str
    theme: Theme
    def __init__(self, resource_id_a: _Optional[str] = ..., resource_id_b: _Optional[str] = ..., kind: _Optional[_Union[ResourceKind, str]] = ..., theme: _Optional[_Union[Theme, str]] = ..., distance_km: _Optional[float] = ...) -> None: ...

class OverlapReportRequest(_message.Message):
    __slots__ = ["within_km"]
    WITHIN_KM_FIELD_NUMBER: _ClassVar[int]
    within_km: float
    def __init__(self, within_km: _Optional[float] = ...) -> None: ...

class OverlapReportResponse(_message.Message):
    __slots__ = ["candidates"]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedCompositeFieldContainer[OverlapCandidate]
    def __init__(self, candidates: _Optional[_Iterable[_Union[OverlapCandidate, _Mapping]]] = ...) -> None: ...

class PublishAvailabilityRequest(_message.Message):
    __slots__ = ["closures", "etag", "request_id", "resource_id", "rules"]
    CLOSURES_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    closures: _containers.RepeatedCompositeFieldContainer[Closure]
    etag: str
    request_id: str
    resource_id: str
    rules: _containers.RepeatedCompositeFieldContainer[AvailabilityRule]
    def __init__(self, resource_id: _Optional[str] = ..., rules: _Optional[_Iterable[_Union[AvailabilityRule, _Mapping]]] = ..., closures: _Optional[_Iterable[_Union[Closure, _Mapping]]] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class Region(_message.Message):
    __slots__ = ["corop", "municipality", "province"]
    COROP_FIELD_NUMBER: _ClassVar[int]
    MUNICIPALITY_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    corop: str
    municipality: str
    province: str
    def __init__(self, province: _Optional[str] = ..., corop: _Optional[str] = ..., municipality: _Optional[str] = ...) -> None: ...

class Resource(_message.Message):
    __slots__ = ["access_policy", "approval_required", "audit", "booking_mode", "booking_rules", "capacity", "demo", "description", "display_name", "etag", "home_base", "id", "kind", "lifecycle", "location", "mobility", "owner_organization_id", "parent_resource_id", "publication", "shared_with_network_ids", "sme_accessible", "staff", "tags", "terms", "themes", "time_zone", "training_required", "url"]
    ACCESS_POLICY_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    AUDIT_FIELD_NUMBER: _ClassVar[int]
    BOOKING_MODE_FIELD_NUMBER: _ClassVar[int]
    BOOKING_RULES_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    DEMO_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    HOME_BASE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    MOBILITY_FIELD_NUMBER: _ClassVar[int]
    OWNER_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLICATION_FIELD_NUMBER: _ClassVar[int]
    SHARED_WITH_NETWORK_IDS_FIELD_NUMBER: _ClassVar[int]
    SME_ACCESSIBLE_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    THEMES_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    TRAINING_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    access_policy: AccessPolicy
    approval_required: bool
    audit: AuditInfo
    booking_mode: BookingMode
    booking_rules: BookingRules
    capacity: int
    demo: bool
    description: str
    display_name: str
    etag: str
    home_base: Location
    id: str
    kind: ResourceKind
    lifecycle: Lifecycle
    location: Location
    mobility: Mobility
    owner_organization_id: str
    parent_resource_id: str
    publication: ResourcePublication
    shared_with_network_ids: _containers.RepeatedScalarFieldContainer[str]
    sme_accessible: bool
    staff: _containers.RepeatedCompositeFieldContainer[StaffContact]
    tags: _containers.RepeatedScalarFieldContainer[str]
    terms: Terms
    themes: _containers.RepeatedScalarFieldContainer[Theme]
    time_zone: str
    training_required: bool
    url: str
    def __init__(self, id: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., kind: _Optional[_Union[ResourceKind, str]] = ..., mobility: _Optional[_Union[Mobility, str]] = ..., home_base: _Optional[_Union[Location, _Mapping]] = ..., url: _Optional[str] = ..., owner_organization_id: _Optional[str] = ..., shared_with_network_ids: _Optional[_Iterable[str]] = ..., parent_resource_id: _Optional[str] = ..., themes: _Optional[_Iterable[_Union[Theme, str]]] = ..., tags: _Optional[_Iterable[str]] = ..., location: _Optional[_Union[Location, _Mapping]] = ..., time_zone: _Optional[str] = ..., booking_mode: _Optional[_Union[BookingMode, str]] = ..., capacity: _Optional[int] = ..., access_policy: _Optional[_Union[AccessPolicy, str]] = ..., sme_accessible: bool = ..., training_required: bool = ..., approval_required: bool = ..., terms: _Optional[_Union[Terms, _Mapping]] = ..., staff: _Optional[_Iterable[_Union[StaffContact, _Mapping]]] = ..., lifecycle: _Optional[_Union[Lifecycle, _Mapping]] = ..., booking_rules: _Optional[_Union[BookingRules, _Mapping]] = ..., demo: bool = ..., publication: _Optional[_Union[ResourcePublication, _Mapping]] = ..., etag: _Optional[str] = ..., audit: _Optional[_Union[AuditInfo, _Mapping]] = ...) -> None: ...

class ResourceChange(_message.Message):
    __slots__ = ["cursor", "resource", "resource_id", "type"]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    resource: Resource
    resource_id: str
    type: ChangeType
    def __init__(self, cursor: _Optional[str] = ..., type: _Optional[_Union[ChangeType, str]] = ..., resource_id: _Optional[str] = ..., resource: _Optional[_Union[Resource, _Mapping]] = ...) -> None: ...

class ResourcePublication(_message.Message):
    __slots__ = ["listed", "show_availability", "show_contact_roles", "show_terms"]
    LISTED_FIELD_NUMBER: _ClassVar[int]
    SHOW_AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    SHOW_CONTACT_ROLES_FIELD_NUMBER: _ClassVar[int]
    SHOW_TERMS_FIELD_NUMBER: _ClassVar[int]
    listed: bool
    show_availability: bool
    show_contact_roles: bool
    show_terms: bool
    def __init__(self, listed: bool = ..., show_terms: bool = ..., show_contact_roles: bool = ..., show_availability: bool = ...) -> None: ...

class SearchHit(_message.Message):
    __slots__ = ["distance_km", "resource"]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    distance_km: float
    resource: Resource
    def __init__(self, resource: _Optional[_Union[Resource, _Mapping]] = ..., distance_km: _Optional[float] = ...) -> None: ...

class SearchResourcesRequest(_message.Message):
    __slots__ = ["box", "has_upcoming_events", "kinds", "lifecycle_states", "mobilities", "network_ids", "order_by", "owner_organization_id", "page_size", "page_token", "region_codes", "sme_accessible", "terms_kinds", "text_prefix", "themes", "within"]
    BOX_FIELD_NUMBER: _ClassVar[int]
    HAS_UPCOMING_EVENTS_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_STATES_FIELD_NUMBER: _ClassVar[int]
    MOBILITIES_FIELD_NUMBER: _ClassVar[int]
    NETWORK_IDS_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    OWNER_ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REGION_CODES_FIELD_NUMBER: _ClassVar[int]
    SME_ACCESSIBLE_FIELD_NUMBER: _ClassVar[int]
    TERMS_KINDS_FIELD_NUMBER: _ClassVar[int]
    TEXT_PREFIX_FIELD_NUMBER: _ClassVar[int]
    THEMES_FIELD_NUMBER: _ClassVar[int]
    WITHIN_FIELD_NUMBER: _ClassVar[int]
    box: GeoBox
    has_upcoming_events: bool
    kinds: _containers.RepeatedScalarFieldContainer[ResourceKind]
    lifecycle_states: _containers.RepeatedScalarFieldContainer[LifecycleState]
    mobilities: _containers.RepeatedScalarFieldContainer[Mobility]
    network_ids: _containers.RepeatedScalarFieldContainer[str]
    order_by: SearchOrder
    owner_organization_id: str
    page_size: int
    page_token: str
    region_codes: _containers.RepeatedScalarFieldContainer[str]
    sme_accessible: bool
    terms_kinds: _containers.RepeatedScalarFieldContainer[TermsKind]
    text_prefix: str
    themes: _containers.RepeatedScalarFieldContainer[Theme]
    within: GeoCircle
    def __init__(self, kinds: _Optional[_Iterable[_Union[ResourceKind, str]]] = ..., mobilities: _Optional[_Iterable[_Union[Mobility, str]]] = ..., themes: _Optional[_Iterable[_Union[Theme, str]]] = ..., region_codes: _Optional[_Iterable[str]] = ..., network_ids: _Optional[_Iterable[str]] = ..., sme_accessible: bool = ..., terms_kinds: _Optional[_Iterable[_Union[TermsKind, str]]] = ..., lifecycle_states: _Optional[_Iterable[_Union[LifecycleState, str]]] = ..., within: _Optional[_Union[GeoCircle, _Mapping]] = ..., box: _Optional[_Union[GeoBox, _Mapping]] = ..., text_prefix: _Optional[str] = ..., order_by: _Optional[_Union[SearchOrder, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., owner_organization_id: _Optional[str] = ..., has_upcoming_events: bool = ...) -> None: ...

class SearchResourcesResponse(_message.Message):
    __slots__ = ["facets", "hits", "next_page_token", "total_size"]
    FACETS_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    facets: _containers.RepeatedCompositeFieldContainer[Facet]
    hits: _containers.RepeatedCompositeFieldContainer[SearchHit]
    next_page_token: str
    total_size: int
    def __init__(self, hits: _Optional[_Iterable[_Union[SearchHit, _Mapping]]] = ..., total_size: _Optional[int] = ..., facets: _Optional[_Iterable[_Union[Facet, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StaffContact(_message.Message):
    __slots__ = ["email", "name", "phone", "role"]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    email: str
    name: str
    phone: str
    role: StaffRole
    def __init__(self, name: _Optional[str] = ..., role: _Optional[_Union[StaffRole, str]] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ...) -> None: ...

class Terms(_message.Message):
    __slots__ = ["kind", "notes", "tariff_per_day_cents", "tariff_per_hour_cents"]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    TARIFF_PER_DAY_CENTS_FIELD_NUMBER: _ClassVar[int]
    TARIFF_PER_HOUR_CENTS_FIELD_NUMBER: _ClassVar[int]
    kind: TermsKind
    notes: str
    tariff_per_day_cents: int
    tariff_per_hour_cents: int
    def __init__(self, kind: _Optional[_Union[TermsKind, str]] = ..., tariff_per_hour_cents: _Optional[int] = ..., tariff_per_day_cents: _Optional[int] = ..., notes: _Optional[str] = ...) -> None: ...

class TimeInterval(_message.Message):
    __slots__ = ["end_time", "start_time"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateNetworkRequest(_message.Message):
    __slots__ = ["network", "request_id", "update_mask"]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    network: Network
    request_id: str
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdateOrganizationRequest(_message.Message):
    __slots__ = ["organization", "request_id", "update_mask"]
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    organization: Organization
    request_id: str
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, organization: _Optional[_Union[Organization, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdateResourceRequest(_message.Message):
    __slots__ = ["request_id", "resource", "update_mask"]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    resource: Resource
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, resource: _Optional[_Union[Resource, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class WatchResourcesRequest(_message.Message):
    __slots__ = ["cursor"]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    def __init__(self, cursor: _Optional[str] = ...) -> None: ...

class WhiteSpot(_message.Message):
    __slots__ = ["region_code", "region_name", "theme"]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    REGION_NAME_FIELD_NUMBER: _ClassVar[int]
    THEME_FIELD_NUMBER: _ClassVar[int]
    region_code: str
    region_name: str
    theme: Theme
    def __init__(self, region_code: _Optional[str] = ..., region_name: _Optional[str] = ..., theme: _Optional[_Union[Theme, str]] = ...) -> None: ...

class Theme(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class OrganizationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class SizeClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ResourceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Mobility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class BookingMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class AccessPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class TermsKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class StaffRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class LifecycleState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class QuotaPeriod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ClosureKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class SearchOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ChangeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RegionLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
