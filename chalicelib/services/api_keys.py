"""API keys for partner apps that post Open311 requests (kunci API mitra).

An admin issues one key per partner app, optionally bound to a channel (a
report posted with it gets that channel instead of ``balai_warga``), and can
revoke it. The key is shown once, when issued:

    crm311_<key id>_<secret>       e.g. crm311_k7m2q9x4tr_3Vb...  (the id is not secret)

Only HMAC-SHA256(OPEN311_API_KEY_SECRET, key) is stored, so a copy of the
table does not give anyone a working key. Checking a key is one GetItem by
its id and a constant-time comparison of digests.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, StringConstraints

from chalicelib.adapters.api_key_store import KeyExists, StoredKey
from chalicelib.domain.channels import DESK_CHANNELS, Channel
from chalicelib.domain.errors import InvalidInput

PREFIX = "crm311"
_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_KEY = re.compile(rf"^{PREFIX}_([{_ID_ALPHABET}]{{10}})_([A-Za-z0-9_-]{{43}})$")
DEFAULT_CHANNEL = Channel.BALAI_WARGA
# Channels a partner app may post as: not the desks, which intake officers enter.
BINDABLE_CHANNELS = tuple(channel.value for channel in Channel if channel not in DESK_CHANNELS)


class KeyStore(Protocol):
    def add(self, key: StoredKey) -> None: ...

    def get(self, key_id: str) -> StoredKey | None: ...

    def all(self) -> list[StoredKey]: ...

    def revoke(self, key_id: str, by: str, at: str) -> StoredKey | None: ...


class IssueKeyCommand(BaseModel):
    """An admin's request for a new partner key (POST /admin/open311/keys)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    channel: Channel = DEFAULT_CHANNEL


class KeyRefused(Exception):
    """The api_key is missing, malformed, unknown or revoked (Open311: 403)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class PartnerKey:
    """A checked key: who is posting, and as which channel."""

    key_id: str
    name: str
    channel: Channel


def digest(raw_key: str, secret: str) -> str:
    return hmac.new(secret.encode(), raw_key.encode(), hashlib.sha256).hexdigest()


def _new_key() -> tuple[str, str]:
    key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))
    return key_id, f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def issue(store: KeyStore, command: IssueKeyCommand, by: str, at: str, secret: str) -> tuple[StoredKey, str]:
    """A new key: (what is stored, the raw key to hand over once)."""
    if command.channel.value not in BINDABLE_CHANNELS:
        raise InvalidInput([("channel", "desk channels are entered by intake officers, not partner apps")])
    for _ in range(3):
        key_id, raw = _new_key()
        stored = StoredKey(
            key_id=key_id,
            name=command.name,
            channel=command.channel.value,
            digest=digest(raw, secret),
            created_at=at,
            created_by=by,
        )
        try:
            store.add(stored)
        except KeyExists:
            continue
        return stored, raw
    raise RuntimeError("no free key id after several attempts")


def all_keys(store: KeyStore) -> list[StoredKey]:
    """Every key ever issued, newest first (revoked ones too: the audit trail)."""
    return sorted(store.all(), key=lambda key: key.created_at, reverse=True)


def revoke(store: KeyStore, key_id: str, by: str, at: str) -> StoredKey | None:
    """Revoke a key (at once; a second time changes nothing). None if there is no such key
    (an id no key can have is not looked up)."""
    return store.revoke(key_id[:40], by, at) if key_id.isalnum() else None


def authenticate(store: KeyStore, raw_key: str | None, secret: str) -> PartnerKey:
    if not raw_key:
        raise KeyRefused("api_key is required")
    match = _KEY.match(raw_key.strip())
    if match is None:
        raise KeyRefused("api_key is not valid")
    stored = store.get(match.group(1))
    if stored is None or not hmac.compare_digest(stored.digest, digest(raw_key.strip(), secret)):
        raise KeyRefused("api_key is not valid")
    if stored.revoked:
        raise KeyRefused("api_key was revoked")
    return PartnerKey(key_id=stored.key_id, name=stored.name, channel=Channel(stored.channel))


def key_view(stored: StoredKey) -> dict[str, str | None]:
    """What admins see of a key (never the digest, never the raw key)."""
    return {
        "id": stored.key_id,
        "name": stored.name,
        "channel": stored.channel,
        "created_at": stored.created_at,
        "created_by": stored.created_by,
        "revoked_at": stored.revoked_at,
        "revoked_by": stored.revoked_by,
        "status": "revoked" if stored.revoked else "active",
    }
