"""Secrets from SSM Parameter Store (SecureString) and Secrets Manager.

Read on first use (the function's cold start) and kept in memory for
``SECRETS_CACHE_SECONDS`` (default 900), so a rotated value reaches every
warm function within that time without a deploy. If a refresh fails because
AWS is briefly unavailable, the value already held is kept.

Two ways to point at a secret, both set per stage from the infra stack:

* ``SECRETS_SSM_PREFIX=/crm/dev/``: every parameter directly under that path,
  named like its environment variable (``/crm/dev/JAKI_WEBHOOK_SECRET``), read
  with one ``GetParametersByPath`` call;
* ``<NAME>_PARAM``: one parameter name, or a Secrets Manager secret ARN.

Nothing here decides precedence or defaults: that is ``config.Settings.secret``.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from chalicelib.adapters import aws
from chalicelib.config import ConfigurationError

DEFAULT_CACHE_SECONDS = 900
_NOT_FOUND = {"ParameterNotFound", "ResourceNotFoundException"}

_cache: dict[str, tuple[float, Any]] = {}
_lock = threading.Lock()


def _cache_seconds() -> float:
    raw = os.environ.get("SECRETS_CACHE_SECONDS")
    try:
        return float(raw) if raw else DEFAULT_CACHE_SECONDS
    except ValueError:
        raise ConfigurationError(f"SECRETS_CACHE_SECONDS must be a number, got {raw!r}") from None


def _cached(key: str, load: Any) -> Any:
    now = time.monotonic()
    held = _cache.get(key)
    if held is not None and now - held[0] < _cache_seconds():
        return held[1]
    with _lock:
        held = _cache.get(key)
        if held is not None and now - held[0] < _cache_seconds():
            return held[1]
        try:
            value = load()
        except aws.ServiceUnavailable:
            if held is not None:
                return held[1]  # keep serving the value we have; retry on a later call
            raise
        _cache[key] = (time.monotonic(), value)
        return value


def _denied(reference: str, error: Exception) -> ConfigurationError:
    return ConfigurationError(f"cannot read secret {reference}: {aws.error_code(error) or type(error).__name__}")


def under_path(prefix: str) -> dict[str, str]:
    """All parameters directly under ``prefix``, by their last path segment."""
    path = "/" + prefix.strip("/")

    def load() -> dict[str, str]:
        from botocore.exceptions import ClientError

        client = aws.client("ssm")
        values: dict[str, str] = {}
        kwargs: dict[str, Any] = {"Path": path, "Recursive": False, "WithDecryption": True}
        try:
            with aws.unavailable_on_transient("ssm"):
                while True:
                    response = client.get_parameters_by_path(**kwargs)
                    for parameter in response.get("Parameters", []):
                        values[parameter["Name"].rsplit("/", 1)[-1]] = parameter["Value"]
                    if not response.get("NextToken"):
                        break
                    kwargs["NextToken"] = response["NextToken"]
        except ClientError as error:
            if aws.is_transient(error):
                raise
            raise _denied(path, error) from error
        return values

    return _cached(f"path:{path}", load)


def by_reference(reference: str) -> str | None:
    """One secret: an SSM parameter name, or a Secrets Manager ARN. None if it does not exist."""

    def load() -> str | None:
        from botocore.exceptions import ClientError

        try:
            if reference.startswith("arn:") and ":secretsmanager:" in reference:
                with aws.unavailable_on_transient("secretsmanager"):
                    response = aws.client("secretsmanager").get_secret_value(SecretId=reference)
                return response.get("SecretString")
            with aws.unavailable_on_transient("ssm"):
                response = aws.client("ssm").get_parameter(Name=reference, WithDecryption=True)
            return response["Parameter"]["Value"]
        except ClientError as error:
            if aws.error_code(error) in _NOT_FOUND:
                return None
            if aws.is_transient(error):
                raise
            raise _denied(reference, error) from error

    return _cached(f"ref:{reference}", load)


def reset() -> None:
    """Forget cached secrets (tests)."""
    with _lock:
        _cache.clear()
