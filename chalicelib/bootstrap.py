"""The composition root: which adapter serves each port, built once per process.

Entry points ask for ``services()``; tests swap in fakes with ``override`` and
start afresh with ``reset``.
Nothing here touches AWS until an adapter is used.

Each adapter is built, and its module imported, only when first read: a field of
``Services`` declared ``Lazy(builder)`` holds a sentinel until
``services().cases`` (say) runs its builder, under ``_lock``, and keeps the result
in the instance. A cold start that serves one webhook thus never imports the
officers' queries, the uploads or the Open311 key store. ``override(cases=fake)``
copies what is built so far (the sentinel for the rest) and puts the fakes in;
the shared ``sealer`` (contacts' envelope key) is such a field too, so cases and
senders still seal with one ``KmsSealer``. The port types come from
``TYPE_CHECKING`` imports: the annotations name them, nothing imports them.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from chalicelib.config import ConfigurationError, Settings, settings
from chalicelib.domain.clock import Clock, system_clock

if TYPE_CHECKING:
    from chalicelib.adapters.api_key_store import ApiKeyStore
    from chalicelib.adapters.case_queries import CaseQueries
    from chalicelib.adapters.case_reader import DynamoCaseReader
    from chalicelib.adapters.case_repository import CaseRepository
    from chalicelib.adapters.duplicate_index import DuplicateIndex
    from chalicelib.adapters.event_publisher import EventPublisher
    from chalicelib.adapters.identity import TokenVerifier
    from chalicelib.adapters.mailer import SesMailer
    from chalicelib.adapters.metrics_store import MetricsStore
    from chalicelib.adapters.notification_store import NotificationStore
    from chalicelib.adapters.photo_store import PhotoStore
    from chalicelib.adapters.rate_limits import RateLimiter
    from chalicelib.adapters.routing_store import RoutingStore
    from chalicelib.adapters.sealing import Sealer
    from chalicelib.adapters.sender_state import SenderRepository
    from chalicelib.adapters.uploads import Uploads

T = TypeVar("T")

# Builds the adapters, and guards services(), override() and reset(). Reentrant: a
# builder reads the fields it needs (cases reads the sealer) while holding it.
_lock = threading.RLock()


class _Unbuilt:
    def __repr__(self) -> str:
        return "<not built yet>"


_UNBUILT: Any = _Unbuilt()


class Lazy(Generic[T]):
    """A field of ``Services`` whose value ``build(services)`` makes on first read, once
    per instance (a value given to the constructor, as ``override`` does, is kept as is)."""

    def __init__(self, build: Callable[[Services], T]) -> None:
        self.build = build
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, services: None, owner: type) -> Any: ...
    @overload
    def __get__(self, services: Services, owner: type) -> T: ...
    def __get__(self, services: Services | None, owner: type) -> Any:
        if services is None:
            return _UNBUILT  # the field's default (what dataclasses read from the class)
        value = services.__dict__[self.name]
        if value is _UNBUILT:
            with _lock:
                value = services.__dict__[self.name]
                if value is _UNBUILT:
                    value = services.__dict__[self.name] = self.build(services)
        return value

    def __set__(self, services: Services, value: T) -> None:
        services.__dict__[self.name] = value  # only __init__ gets here: the dataclass is frozen


# The builders: each imports its adapter's module when it runs.


def _sealer(app: Services) -> Sealer:
    from chalicelib.adapters.sealing import KmsSealer

    return KmsSealer(app.settings.contact_key_arn)


def _cases(app: Services) -> CaseRepository:
    from chalicelib.adapters.case_repository import DynamoCaseRepository

    return DynamoCaseRepository(app.settings.cases_table, sealer=app.sealer)


def _senders(app: Services) -> SenderRepository:
    from chalicelib.adapters.sender_state import DynamoSenderRepository

    return DynamoSenderRepository(app.settings.cases_table, sealer=app.sealer)


def _photos(app: Services) -> PhotoStore:
    from chalicelib.adapters.photo_store import S3PhotoStore

    return S3PhotoStore(app.settings.photos_bucket, app.settings.photo_url_ttl_seconds)


def _events(app: Services) -> EventPublisher | None:
    if not app.settings.events_topic_arn:
        return None
    from chalicelib.adapters.event_publisher import SnsEventPublisher

    return SnsEventPublisher(app.settings.events_topic_arn)


def _queries(app: Services) -> CaseQueries:
    from chalicelib.adapters.case_queries import CaseQueries

    return CaseQueries(app.settings.cases_table)


def _routing(app: Services) -> RoutingStore:
    from chalicelib.adapters.routing_store import RoutingStore

    return RoutingStore(app.settings.cases_table)


def _duplicate_index(app: Services) -> DuplicateIndex:
    from chalicelib.adapters.duplicate_index import DuplicateIndex

    return DuplicateIndex(app.settings.cases_table)


def _metrics(app: Services) -> MetricsStore:
    from chalicelib.adapters.metrics_store import MetricsStore

    return MetricsStore(app.settings.cases_table)


def _notifications(app: Services) -> NotificationStore:
    from chalicelib.adapters.notification_store import NotificationStore

    return NotificationStore(app.settings.cases_table)


def _uploads(app: Services) -> Uploads:
    from chalicelib.adapters.uploads import Uploads

    return Uploads(app.settings.photos_bucket)


def _mailer(app: Services) -> SesMailer | None:
    if not app.settings.notify_from_email:
        return None
    from chalicelib.adapters.mailer import SesMailer

    return SesMailer(app.settings.notify_from_email)


def _verifier(app: Services) -> TokenVerifier | None:
    cognito = app.settings.cognito
    if not cognito:
        return None
    from chalicelib.adapters.identity import TokenVerifier

    return TokenVerifier(cognito)


def _api_keys(app: Services) -> ApiKeyStore | None:
    from chalicelib.adapters.api_key_store import ApiKeyStore

    return ApiKeyStore(app.settings.cases_table)


def _case_reader(app: Services) -> DynamoCaseReader | None:
    from chalicelib.adapters.case_reader import DynamoCaseReader

    return DynamoCaseReader(app.settings.cases_table)


def _quarantine(app: Services) -> Any:
    from chalicelib.adapters.quarantine_store import QuarantineStore

    return QuarantineStore(app.settings.cases_table)


def _limiter(app: Services) -> RateLimiter | None:
    from chalicelib.adapters.rate_limits import DynamoRateLimiter

    config = app.settings
    # Counter keys are hashed with a key derived from the tracking-code key (read on first use).
    return DynamoRateLimiter(config.rate_limits_table, lambda: config.tracking_code_key)


def _notices(app: Services) -> Any:
    if not app.settings.replies_queue_url:
        raise ConfigurationError("REPLIES_QUEUE_URL is not set")
    from chalicelib.adapters.queues import SqsNoticeQueue

    return SqsNoticeQueue(app.settings.replies_queue_url)


def _replies(app: Services) -> Any:
    from chalicelib.adapters.reply_ledger import DynamoReplyLedger

    return DynamoReplyLedger(app.settings.cases_table)


def _templates(app: Services) -> Any:
    from chalicelib.adapters.template_store import TemplateStore

    return TemplateStore(app.settings.cases_table)


def _feed(app: Services) -> Any:
    from chalicelib.adapters.open311_feed import Open311Feed

    return Open311Feed(app.settings.cases_table, app.settings.tracking_code_key)


@dataclass(frozen=True, eq=False, repr=False)  # comparing or printing would build every adapter
class Services:
    settings: Settings
    cases: Lazy[CaseRepository] = Lazy(_cases)
    photos: Lazy[PhotoStore] = Lazy(_photos)
    clock: Clock = system_clock  # nothing to build
    events: Lazy[EventPublisher | None] = Lazy(_events)  # None: EVENTS_TOPIC_ARN is not set
    queries: Lazy[CaseQueries] = Lazy(_queries)
    routing: Lazy[RoutingStore] = Lazy(_routing)
    duplicate_index: Lazy[DuplicateIndex] = Lazy(_duplicate_index)
    metrics: Lazy[MetricsStore] = Lazy(_metrics)
    notifications: Lazy[NotificationStore] = Lazy(_notifications)
    uploads: Lazy[Uploads] = Lazy(_uploads)
    senders: Lazy[SenderRepository] = Lazy(_senders)  # per-sender counts and notices' reply handles
    sealer: Lazy[Sealer] = Lazy(_sealer)  # contacts' envelope key: one for cases and senders
    mailer: Lazy[SesMailer | None] = Lazy(_mailer)  # None: NOTIFY_FROM_EMAIL is not set
    verifier: Lazy[TokenVerifier | None] = Lazy(_verifier)  # None: no Cognito pool configured
    notices: Lazy[Any] = Lazy(_notices)  # NoticeQueue (services/notices.py), on REPLIES_QUEUE_URL
    replies: Lazy[Any] = Lazy(_replies)  # ReplyLedger (services/replies.py)
    outbound: Any = None  # callable: ReplyHandle -> ReplySender (tests swap in fakes)
    media: Any = None  # callable: MediaLink, Case -> bytes

    def reply_sender(self, handle: Any) -> Any:
        if self.outbound is not None:
            return self.outbound(handle)
        from chalicelib.adapters.outbound import sender_for

        return sender_for(handle, self.settings)

    def receipt_counter(self) -> Any:
        """services/intake.py ``receipts``: the daily cap per reply address (RATE_LIMIT_RECEIPTS)."""
        from chalicelib.services.intake import receipt_counter

        return receipt_counter(self.limiter, self.settings.rate_limits.get("receipts", {}).get("contact"), self.clock)

    def fetch_media(self, link: Any, case: Any) -> bytes:
        if self.media is not None:
            return self.media(link, case)
        from chalicelib.adapters.outbound import fetch_media

        return fetch_media(link, case.channel, self.settings)

    api_keys: Lazy[ApiKeyStore | None] = Lazy(_api_keys)  # Open311 partner keys
    case_reader: Lazy[DynamoCaseReader | None] = Lazy(_case_reader)  # many cases at once (Open311 listings)
    templates: Lazy[Any] = Lazy(_templates)  # TemplateStore: officers' response templates
    quarantine: Lazy[Any] = Lazy(_quarantine)  # services.batch.Quarantine: poison records, scheduled jobs' attempts
    # Rate-limit counters (api/limits.py); None (a test's choice): nothing is limited.
    limiter: Lazy[RateLimiter | None] = Lazy(_limiter)
    feed: Lazy[Any] = Lazy(_feed)  # Open311Feed: partners' update feeds
    alerts: Any = None  # services.alerts.Context: area alerts' ports; None: built on first use

    def alerts_context(self) -> Any:
        """What area alerts need (services/alerts.py): their store, keys, texts' links and senders."""
        if self.alerts is not None:
            return self.alerts
        from chalicelib.adapters.alert_store import AlertStore
        from chalicelib.services.alerts import Context

        return Context(
            store=AlertStore(self.settings.cases_table),
            key=self.settings.tracking_code_key,
            base_url=self.settings.public_base_url,
            sender_for=self.reply_sender,
            sms_from=self.settings.alerts_sms_from,
            whatsapp_from=self.settings.alerts_whatsapp_from,
            phone_countries=self.settings.alert_phone_countries,
        )

    def storage_probes(self) -> Any:
        """What GET /health?deep=1 checks (adapters/health.py)."""
        from chalicelib.adapters.health import StorageProbes

        return StorageProbes(self.settings.cases_table, self.settings.photos_bucket)

    def event_publisher(self) -> EventPublisher:
        if self.events is None:
            raise ConfigurationError("EVENTS_TOPIC_ARN is not set")
        return self.events

    def api_key_store(self) -> ApiKeyStore:
        if self.api_keys is None:
            raise ConfigurationError("no Open311 key store: CASES_TABLE is not set")
        return self.api_keys

    def token_verifier(self) -> TokenVerifier:
        if self.verifier is None:
            raise ConfigurationError("COGNITO_USER_POOL_ID and COGNITO_APP_CLIENT_ID are not set")
        return self.verifier


_current: Services | None = None


def _build() -> Services:
    return Services(settings=settings())  # every adapter is built on first read (Lazy)


def services() -> Services:
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = _build()
    return _current


def override(**replacements: Any) -> Services:
    """Replace some adapters (tests): ``override(clock=fixed_clock)``. What is built
    already is kept; what is not is built, from the (possibly replaced) settings, on
    first read."""
    global _current
    with _lock:
        current = _current or _build()
        # Each field as the instance holds it (reading the attribute would build it).
        given = {field.name: current.__dict__[field.name] for field in fields(Services)}
        _current = Services(**{**given, **replacements})
    return _current


# Every process-wide cache, by its module and the function that clears it. A
# module not imported yet holds nothing, and is not imported (with boto3) to clear it.
# Not here: what cannot change within a process (the package's data and web files in
# adapters/reference_data.py and adapters/web_assets.py, memoised pure functions).
CACHES = (
    ("chalicelib.config", "reset"),  # the settings, and the secrets read through them (secret_store)
    ("chalicelib.adapters.aws", "reset"),  # boto3 clients and their session
    ("chalicelib.services.routing", "forget_cached_rules"),  # routing rules, a minute per container
    ("chalicelib.services.public_map", "forget_snapshots"),  # the map's recent cases, half a minute
)


def reset() -> None:
    """Forget everything a process keeps between requests: the services built here
    (and any ``override``) and every cache in ``CACHES`` (tests change the
    environment and the fakes; this is the one reset they call)."""
    global _current
    with _lock:
        _current = None
    for module, clear in CACHES:
        loaded = sys.modules.get(module)
        if loaded is not None:
            getattr(loaded, clear)()
