"""Configuration, from environment variables only.

The same code runs against the local AWS stand-in and real AWS; what differs is
these variables (set per stage in .chalice/config.json, or by `make run`).
Every variable, its default and its meaning is listed in docs/configuration.md.

Secrets have development defaults only when CRM_STAGE=local, so a deployed
stage with a missing secret fails closed instead of trusting a public default.
In AWS they live in SSM Parameter Store / Secrets Manager and are read on first
use, then cached (chalicelib/adapters/secret_store.py); see ``Settings.secret``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

LOCAL_STAGE = "local"

# Development defaults for secrets, used only when CRM_STAGE=local (documented
# in docs/configuration.md; never valid anywhere else).
DEV_SECRETS = {
    "JAKI_WEBHOOK_SECRET": "dev-jaki-secret",
    "QLUE_WEBHOOK_SECRET": "dev-qlue-secret",
    "TRACKING_CODE_KEY": "dev-tracking-code-key-not-for-production",
    # Provider credentials (docs/channels.md); fakes for make run/tests.
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000000",
    "TWILIO_AUTH_TOKEN": "dev-twilio-auth-token",
    "META_APP_SECRET": "dev-meta-app-secret",
    "META_VERIFY_TOKEN": "dev-meta-verify-token",
    "META_ACCESS_TOKEN": "dev-meta-access-token",
    "X_CONSUMER_SECRET": "dev-x-consumer-secret",
    "X_ACCESS_TOKEN": "dev-x-access-token",
    "OPEN311_API_KEY_SECRET": "dev-open311-api-key-secret",
}

DEFAULT_JURISDICTION_ID = "jakarta.go.id"
DEFAULT_OPEN311_CONTACT = "Pemprov DKI Jakarta, dki@jakarta.go.id"


class ConfigurationError(RuntimeError):
    """A required setting is missing: an operator must fix the deployment."""


@dataclass(frozen=True)
class Limit:
    """At most ``count`` requests in each fixed window of ``window_s`` seconds."""

    count: int
    window_s: int


# What a limit counts by: the client's address (API Gateway's sourceIp), who the
# request says it is from (a reporter's phone or e-mail, a partner's API key), a
# webhook's channel, or everyone together.
LIMIT_DIMENSIONS = ("ip", "contact", "channel", "global")

# The limits of every public door, per scope (a route or a family of routes; the
# routes are in chalicelib/api/limits.py, the reasons in docs/security.md). Each
# is overridden whole by its variable, in the same notation; a dimension left out
# is not limited.
RATE_LIMIT_DEFAULTS = {
    "reports": "ip=30/3600,contact=10/3600,global=1200/3600",
    "status": "ip=120/60",
    "reporter_actions": "ip=20/3600",
    "public_map": "ip=300/60",
    "metrics": "ip=60/60",
    "alerts": "ip=10/3600,global=600/3600",
    "alert_codes": "ip=30/600",
    # Per destination (phone or e-mail, across all of its subscriptions) a day: confirmation
    # messages sent, and codes tried (3 confirmations + 5 wrong codes).
    "alert_messages": "contact=3/86400",
    "alert_code_attempts": "contact=8/86400",
    # Receipts (the reply with the tracking code) to one e-mail address a day, across all
    # reports naming it: the website's, the form's and e-mail's (services/replies.py).
    "receipts": "contact=5/86400",
    "open311_read": "ip=120/60",
    "open311_post": "ip=600/60,contact=300/60,global=3000/3600",
    "webhooks": "channel=600/60",
}
_LIMIT = re.compile(r"^(?P<dimension>[a-z]+)=(?P<count>[0-9]{1,9})/(?P<window>[0-9]{1,9})$")
MAX_WINDOW_S = 7 * 86_400


def parse_limits(name: str, text: str) -> dict[str, Limit]:
    """``ip=30/3600,global=1200/3600`` -> {"ip": Limit(30, 3600), ...}; ``off``: no limit at all."""
    text = text.strip()
    if text == "off":
        return {}
    limits: dict[str, Limit] = {}
    for part in text.split(","):
        match = _LIMIT.match(part.strip())
        if match is None or match["dimension"] not in LIMIT_DIMENSIONS or match["dimension"] in limits:
            raise ConfigurationError(
                f"{name} must be like ip=30/3600,global=1200/3600 (dimensions {', '.join(LIMIT_DIMENSIONS)}, "
                f"each at most once; or off), got {text!r}"
            )
        count, window = int(match["count"]), int(match["window"])
        if count < 1 or not 1 <= window <= MAX_WINDOW_S:
            raise ConfigurationError(f"{name}: a limit needs at least 1 request per 1 to {MAX_WINDOW_S} seconds")
        limits[match["dimension"]] = Limit(count, window)
    return limits


def _limits(name: str, scope: str) -> dict[str, Limit]:
    return parse_limits(name, os.environ.get(name) or RATE_LIMIT_DEFAULTS[scope])


@dataclass(frozen=True)
class CognitoSettings:
    """Where ID tokens come from (adapters/identity.py checks them)."""

    region: str
    user_pool_id: str
    client_id: str
    jwks_url: str | None = None  # default: the pool's public JWKS in AWS
    issuer_url: str | None = None  # default: derived from region and pool

    @property
    def issuer(self) -> str:
        return self.issuer_url or f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def keys_url(self) -> str:
        return self.jwks_url or f"{self.issuer}/.well-known/jwks.json"


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    cases_table: str
    photos_bucket: str
    events_topic_arn: str | None
    public_base_url: str
    photo_url_ttl_seconds: int
    webhook_max_skew_seconds: int
    cognito: CognitoSettings | None = None
    notify_from_email: str | None = None
    replies_queue_url: str | None = None
    twilio_api_base_url: str = "https://api.twilio.com"
    meta_graph_base_url: str = "https://graph.facebook.com"
    meta_graph_version: str = "v21.0"
    # An approved WhatsApp message template for updates outside the 24-hour window (see meta_graph).
    whatsapp_update_template: str | None = None
    x_api_base_url: str = "https://api.x.com"
    email_from_address: str = "dki@jakarta.go.id"
    inbound_email_bucket: str | None = None
    provider_timeout_seconds: int = 10
    open311_jurisdiction_id: str = DEFAULT_JURISDICTION_ID
    open311_contact: str = DEFAULT_OPEN311_CONTACT
    # Area alerts by SMS/WhatsApp go out through Twilio from these numbers.
    alerts_sms_from: str = "1708"
    alert_phone_countries: frozenset[int] = frozenset({62})
    alerts_whatsapp_from: str = "+628111272206"
    contact_key_arn: str | None = None  # KMS key sealing reporter contacts (adapters/sealing.py)
    # The public maps' base layer: a tile URL template ({z}/{x}/{y}) and its attribution text;
    # unset, the maps draw the kecamatan and kota outlines instead (no outside request).
    map_tile_url: str | None = None
    map_tile_attribution: str | None = None
    # Rate limits per scope and dimension (RATE_LIMIT_DEFAULTS); counters in their own table.
    rate_limits: Mapping[str, Mapping[str, Limit]] = field(default_factory=dict)
    rate_limits_table: str = "crm-prod-rate-limits"
    # Networks a linked photo may be fetched from although they are not public
    # (adapters/web_fetch.py): tests' servers on 127.0.0.1. Local stage only.
    media_fetch_test_allow: tuple[str, ...] = ()
    # Pixels all the photos of one request may decode to together (adapters/images.py).
    max_pixels_per_request: int = 50_000_000

    @property
    def is_local(self) -> bool:
        return self.stage == LOCAL_STAGE

    def secret(self, name: str) -> str | None:
        """A secret by its environment variable name, looked up in this order:

        1. the variable itself (``JAKI_WEBHOOK_SECRET=...``), for local runs and tests;
        2. ``<NAME>_PARAM``: an SSM parameter name or a Secrets Manager secret ARN;
        3. ``SECRETS_SSM_PREFIX``: the SecureString parameter ``<prefix><NAME>``;
        4. the development default, only when CRM_STAGE=local.

        AWS lookups happen on first use and are cached (secret_store). None if
        the secret is nowhere: callers fail closed (503 not_configured).
        """
        value = os.environ.get(name)
        if value:
            return value
        reference = os.environ.get(f"{name}_PARAM")
        prefix = os.environ.get("SECRETS_SSM_PREFIX")
        if reference or prefix:
            from chalicelib.adapters import secret_store

            if reference:
                value = secret_store.by_reference(reference)
            elif prefix:
                value = secret_store.under_path(prefix).get(name)
            if value:
                return value
        if self.is_local:
            return DEV_SECRETS.get(name)
        return None

    def required_secret(self, name: str) -> str:
        value = self.secret(name)
        if not value:
            raise ConfigurationError(f"{name} is not set")
        return value

    @property
    def tracking_code_key(self) -> bytes:
        return self.required_secret("TRACKING_CODE_KEY").encode()

    def status_url(self, tracking_code: str) -> str:
        return f"{self.public_base_url}/status/{tracking_code}"


def _country_codes(name: str, default: str) -> frozenset[int]:
    """``62`` or ``62,65``: country calling codes (1 to 3 digits, no plus)."""
    raw = (os.environ.get(name) or default).replace(" ", "")
    parts = raw.split(",")
    if not all(re.fullmatch(r"[1-9][0-9]{0,2}", part) for part in parts):
        raise ConfigurationError(f"{name} must be country calling codes like 62 or 62,65, got {raw!r}")
    return frozenset(int(part) for part in parts)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None


def _cognito(region: str) -> CognitoSettings | None:
    pool, client = os.environ.get("COGNITO_USER_POOL_ID"), os.environ.get("COGNITO_APP_CLIENT_ID")
    if not pool or not client:
        return None
    return CognitoSettings(
        region=region,
        user_pool_id=pool,
        client_id=client,
        jwks_url=os.environ.get("COGNITO_JWKS_URL") or None,
        issuer_url=os.environ.get("COGNITO_ISSUER") or None,
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    stage = os.environ.get("CRM_STAGE", "prod")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "ap-southeast-3"
    return Settings(
        stage=stage,
        region=region,
        cases_table=os.environ.get("CASES_TABLE", f"crm-{stage}-cases"),
        photos_bucket=os.environ.get("PHOTOS_BUCKET", f"crm-{stage}-photos"),
        events_topic_arn=os.environ.get("EVENTS_TOPIC_ARN") or None,
        public_base_url=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        photo_url_ttl_seconds=_int("PHOTO_URL_TTL_SECONDS", 900),
        webhook_max_skew_seconds=_int("WEBHOOK_MAX_SKEW_SECONDS", 300),
        cognito=_cognito(region),
        notify_from_email=os.environ.get("NOTIFY_FROM_EMAIL") or None,
        replies_queue_url=os.environ.get("REPLIES_QUEUE_URL") or None,
        twilio_api_base_url=_url("TWILIO_API_BASE_URL", "https://api.twilio.com"),
        meta_graph_base_url=_url("META_GRAPH_BASE_URL", "https://graph.facebook.com"),
        meta_graph_version=os.environ.get("META_GRAPH_API_VERSION") or "v21.0",
        whatsapp_update_template=os.environ.get("WHATSAPP_UPDATE_TEMPLATE") or None,
        x_api_base_url=_url("X_API_BASE_URL", "https://api.x.com"),
        email_from_address=os.environ.get("EMAIL_FROM_ADDRESS") or "dki@jakarta.go.id",
        inbound_email_bucket=os.environ.get("INBOUND_EMAIL_BUCKET") or None,
        provider_timeout_seconds=_int("PROVIDER_TIMEOUT_SECONDS", 10),
        open311_jurisdiction_id=os.environ.get("OPEN311_JURISDICTION_ID") or DEFAULT_JURISDICTION_ID,
        open311_contact=os.environ.get("OPEN311_CONTACT") or DEFAULT_OPEN311_CONTACT,
        alerts_sms_from=os.environ.get("ALERTS_SMS_FROM") or "1708",
        alerts_whatsapp_from=os.environ.get("ALERTS_WHATSAPP_FROM") or "+628111272206",
        alert_phone_countries=_country_codes("ALERT_PHONE_COUNTRIES", "62"),
        contact_key_arn=os.environ.get("CONTACT_KEY_ARN") or None,
        map_tile_url=os.environ.get("MAP_TILE_URL", "").strip() or None,
        map_tile_attribution=os.environ.get("MAP_TILE_ATTRIBUTION", "").strip() or None,
        rate_limits={
            "reports": _limits("RATE_LIMIT_REPORTS", "reports"),
            "status": _limits("RATE_LIMIT_STATUS", "status"),
            "reporter_actions": _limits("RATE_LIMIT_REPORTER_ACTIONS", "reporter_actions"),
            "public_map": _limits("RATE_LIMIT_PUBLIC_MAP", "public_map"),
            "metrics": _limits("RATE_LIMIT_METRICS", "metrics"),
            "alerts": _limits("RATE_LIMIT_ALERTS", "alerts"),
            "alert_codes": _limits("RATE_LIMIT_ALERT_CODES", "alert_codes"),
            "alert_messages": _limits("RATE_LIMIT_ALERT_MESSAGES", "alert_messages"),
            "alert_code_attempts": _limits("RATE_LIMIT_ALERT_CODE_ATTEMPTS", "alert_code_attempts"),
            "receipts": _limits("RATE_LIMIT_RECEIPTS", "receipts"),
            "open311_read": _limits("RATE_LIMIT_OPEN311_READ", "open311_read"),
            "open311_post": _limits("RATE_LIMIT_OPEN311_POST", "open311_post"),
            "webhooks": _limits("RATE_LIMIT_WEBHOOKS", "webhooks"),
        },
        rate_limits_table=os.environ.get("RATE_LIMITS_TABLE", f"crm-{stage}-rate-limits"),
        media_fetch_test_allow=_test_allowance(stage),
        max_pixels_per_request=_int("MAX_PIXELS_PER_REQUEST", 50_000_000),
    )


def _test_allowance(stage: str) -> tuple[str, ...]:
    """MEDIA_FETCH_TEST_ALLOW: comma-separated networks (e.g. 127.0.0.1/32) that linked
    photos may come from in tests. Refused on any stage but local: a deployed
    function never fetches from a private address."""
    import ipaddress

    raw = os.environ.get("MEDIA_FETCH_TEST_ALLOW", "").strip()
    if not raw:
        return ()
    if stage != LOCAL_STAGE:
        raise ConfigurationError("MEDIA_FETCH_TEST_ALLOW is for tests on the local stage only")
    try:
        return tuple(str(ipaddress.ip_network(part.strip(), strict=False)) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigurationError(f"MEDIA_FETCH_TEST_ALLOW must list networks, got {raw!r}") from None


def _url(name: str, default: str) -> str:
    return (os.environ.get(name) or default).rstrip("/")


def reset() -> None:
    """Forget cached settings and secrets (tests change the environment)."""
    import sys

    settings.cache_clear()
    store = sys.modules.get("chalicelib.adapters.secret_store")
    if store is not None:  # never import it (and boto3) just to clear it
        store.reset()


# Read at import by app.py's event-handler declarations; in AWS they come from
# the infra stack's outputs, locally from the provisioned moto stack.
CASES_STREAM_ARN = os.environ.get(
    "CASES_STREAM_ARN",
    "arn:aws:dynamodb:ap-southeast-3:000000000000:table/crm-local-cases/stream/local",
)
_STAGE = os.environ.get("CRM_STAGE", "local")
FOLLOWUPS_QUEUE = os.environ.get("FOLLOWUPS_QUEUE", f"crm-{_STAGE}-followups")
METRICS_QUEUE = os.environ.get("METRICS_QUEUE", f"crm-{_STAGE}-metrics")
NOTIFICATIONS_QUEUE = os.environ.get("NOTIFICATIONS_QUEUE", f"crm-{_STAGE}-officer-notifications")
REPLIES_QUEUE = os.environ.get("REPLIES_QUEUE", f"crm-{_STAGE}-replies")
MEDIA_QUEUE = os.environ.get("MEDIA_QUEUE", f"crm-{_STAGE}-media")
INBOUND_EMAIL_QUEUE = os.environ.get("INBOUND_EMAIL_QUEUE", f"crm-{_STAGE}-inbound-email")
ALERTS_QUEUE = os.environ.get("ALERTS_QUEUE", f"crm-{_STAGE}-alerts")
