"""Sealing private case fields: KMS envelope encryption, one data key per write.

    seal  GenerateDataKey(CONTACT_KEY_ARN, AES_256, context) -> data key + the
          same key wrapped by KMS; each field is AES-256-GCM encrypted locally
          with a fresh 96-bit nonce and associated data = context + field name
    token "kms1.<wrapped data key>.<nonce + ciphertext + tag>" (base64url)
    open  Decrypt(wrapped key, context) -> data key -> AES-GCM open

Why a data key per item write, not one cached per container: the encryption
context holds the case's tracking code, and KMS checks it on Decrypt. So a
sealed value moved to another case does not open, every opening of a
reporter's contact is one CloudTrail entry naming the case, and a key policy
can allow Decrypt only for that context. It costs one KMS request per write
that carries a contact (none for anonymous reports or for saves of a case
read back, whose tokens are written unchanged) and one per opening.
Locally the key is moto's KMS, provisioned from infra/template.yaml.

AES-GCM is PyCryptodome's (96-bit nonce, 128-bit tag: the same tokens the
cryptography package's AESGCM made), imported on first use, never at cold start.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol

from chalicelib.adapters import aws, pycryptodome
from chalicelib.config import ConfigurationError

TOKEN_PREFIX = "kms1"  # noqa: S105 - a format tag, not a secret
NONCE_BYTES = 12
TAG_BYTES = 16

# KMS answers that no retry will fix: the key is missing, disabled, pending
# deletion or not ours to use. An operator must act; meanwhile requests get
# 503 not_configured, so providers retry and nothing is lost.
_KEY_PROBLEMS = frozenset(
    {
        "DisabledException",
        "KMSInvalidStateException",
        "NotFoundException",
        "AccessDeniedException",
        "InvalidKeyUsageException",
        "KeyUnavailableException",
    }
)


class Sealer(Protocol):
    def seal(self, context: Mapping[str, str], plaintexts: Mapping[str, bytes]) -> dict[str, str]:
        """Seal several fields of one item under one data key: ``{field: token}``."""

    def open(self, context: Mapping[str, str], tokens: Mapping[str, str]) -> dict[str, bytes]:
        """Open tokens sealed with the same context: ``{field: plaintext}``."""


class SealBroken(Exception):
    """A token does not open: tampered, truncated, or sealed for another case."""


def associated_data(context: Mapping[str, str], field: str) -> bytes:
    """What AES-GCM authenticates besides the ciphertext: the context and the field name."""
    parts = [f"{key}={context[key]}" for key in sorted(context)] + [f"field={field}"]
    return "\x1f".join(parts).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def gcm_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-GCM: ciphertext + 16-byte tag."""
    pycryptodome.prepare()
    from Crypto.Cipher import AES

    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)
    cipher.update(aad)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext)
    return ciphertext + tag


def gcm_open(key: bytes, nonce: bytes, sealed: bytes, aad: bytes, field: str = "the value") -> bytes:
    """The plaintext of ``gcm_seal``'s output, or SealBroken when the tag does not verify."""
    pycryptodome.prepare()
    from Crypto.Cipher import AES

    if len(sealed) < TAG_BYTES:
        raise SealBroken(f"{field} is truncated")
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)
    cipher.update(aad)
    try:
        return cipher.decrypt_and_verify(sealed[:-TAG_BYTES], sealed[-TAG_BYTES:])
    except ValueError:  # "MAC check failed"
        raise SealBroken(f"{field} does not open with this case's context") from None


def make_token(wrapped_key: bytes, nonce: bytes, ciphertext: bytes) -> str:
    return f"{TOKEN_PREFIX}.{_b64(wrapped_key)}.{_b64(nonce + ciphertext)}"


def parse_token(token: str) -> tuple[bytes, bytes, bytes]:
    """(wrapped key, nonce, ciphertext with tag) of a token, or SealBroken."""
    try:
        prefix, wrapped, sealed = token.split(".")
        if prefix != TOKEN_PREFIX:
            raise ValueError(prefix)
        wrapped_key, body = _unb64(wrapped), _unb64(sealed)
    except (ValueError, AttributeError):
        raise SealBroken("not a sealed token") from None
    if not wrapped_key or len(body) <= NONCE_BYTES + TAG_BYTES:
        raise SealBroken("truncated sealed token")
    return wrapped_key, body[:NONCE_BYTES], body[NONCE_BYTES:]


class KmsSealer:
    def __init__(self, key_id: str | None):
        self.key_id = key_id

    def _key(self) -> str:
        if not self.key_id:
            raise ConfigurationError("CONTACT_KEY_ARN is not set")
        return self.key_id

    @contextmanager
    def _kms_errors(self) -> Iterator[None]:
        """KMS trouble -> 503 (transient), 503 not_configured (the key), SealBroken (the token)."""
        from botocore.exceptions import ClientError

        try:
            with aws.unavailable_on_transient("kms"):
                yield
        except ClientError as error:
            code = aws.error_code(error)
            if code in _KEY_PROBLEMS:
                raise ConfigurationError(f"the contact key cannot be used: {code}") from error
            if code in ("InvalidCiphertextException", "IncorrectKeyException"):
                raise SealBroken(f"KMS refused the wrapped key: {code}") from None
            raise

    def seal(self, context: Mapping[str, str], plaintexts: Mapping[str, bytes]) -> dict[str, str]:
        if not plaintexts:
            return {}
        key_id = self._key()
        kms = aws.client("kms")
        with self._kms_errors():
            response = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=dict(context))
        data_key, wrapped = response["Plaintext"], response["CiphertextBlob"]
        tokens = {}
        for field, plaintext in plaintexts.items():
            nonce = os.urandom(NONCE_BYTES)
            tokens[field] = make_token(
                wrapped, nonce, gcm_seal(data_key, nonce, plaintext, associated_data(context, field))
            )
        return tokens

    def open(self, context: Mapping[str, str], tokens: Mapping[str, str]) -> dict[str, bytes]:
        if not tokens:
            return {}
        parsed = {field: parse_token(token) for field, token in tokens.items()}
        key_id = self._key()
        kms = aws.client("kms")
        keys: dict[bytes, bytes] = {}
        opened = {}
        for field, (wrapped, nonce, ciphertext) in parsed.items():
            if wrapped not in keys:  # fields sealed together share one data key: one Decrypt
                with self._kms_errors():
                    response = kms.decrypt(KeyId=key_id, CiphertextBlob=wrapped, EncryptionContext=dict(context))
                keys[wrapped] = response["Plaintext"]
            opened[field] = gcm_open(keys[wrapped], nonce, ciphertext, associated_data(context, field), field)
        return opened
