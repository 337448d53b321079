"""Secrets from SSM Parameter Store and Secrets Manager (moto), as a deployed stage reads them."""

from __future__ import annotations

import json
import time

import pytest

from chalicelib import config
from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters import secret_store

from .conftest import partner_body, unique


@pytest.fixture
def prefix(aws):
    """A fresh SSM path holding two provider secrets as SecureString."""
    path = f"/crm-test/{time.time_ns()}/"
    aws("ssm").put_parameter(Name=f"{path}JAKI_WEBHOOK_SECRET", Value="jaki-from-ssm", Type="SecureString")
    aws("ssm").put_parameter(Name=f"{path}QLUE_WEBHOOK_SECRET", Value="qlue-from-ssm", Type="SecureString")
    return path


@pytest.fixture
def deployed(app_env, monkeypatch, prefix):
    """This process configured like a deployed dev stage: no secret values in the environment."""
    monkeypatch.setenv("CRM_STAGE", "dev")
    monkeypatch.setenv("SECRETS_SSM_PREFIX", prefix)
    monkeypatch.delenv("MEDIA_FETCH_TEST_ALLOW", raising=False)  # refused outside the local stage
    for name in ("JAKI_WEBHOOK_SECRET", "QLUE_WEBHOOK_SECRET", "TRACKING_CODE_KEY"):
        monkeypatch.delenv(name, raising=False)
    config.reset()
    return prefix


def count_calls(monkeypatch):
    """Record the AWS operations the app's clients make."""
    calls = []
    real_client = aws_clients.client

    def recording(service):
        made = real_client(service)
        if not getattr(made, "_test_recording", False):
            made.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
            made._test_recording = True
        return made

    aws_clients.reset()
    monkeypatch.setattr(aws_clients, "client", recording)
    return calls


def test_secrets_under_the_prefix_are_read_once_and_cached(deployed, monkeypatch):
    calls = count_calls(monkeypatch)
    settings = config.settings()
    assert settings.secret("JAKI_WEBHOOK_SECRET") == "jaki-from-ssm"
    assert settings.secret("QLUE_WEBHOOK_SECRET") == "qlue-from-ssm"
    assert settings.secret("JAKI_WEBHOOK_SECRET") == "jaki-from-ssm"
    assert calls == ["GetParametersByPath"], "one call for every secret under the prefix"


def test_a_changed_parameter_is_seen_after_the_cache_time(deployed, aws, monkeypatch):
    settings = config.settings()
    assert settings.secret("JAKI_WEBHOOK_SECRET") == "jaki-from-ssm"
    aws("ssm").put_parameter(
        Name=f"{deployed}JAKI_WEBHOOK_SECRET", Value="rotated", Type="SecureString", Overwrite=True
    )
    assert settings.secret("JAKI_WEBHOOK_SECRET") == "jaki-from-ssm", "cached"
    monkeypatch.setenv("SECRETS_CACHE_SECONDS", "0")
    assert settings.secret("JAKI_WEBHOOK_SECRET") == "rotated"


def test_a_plain_environment_variable_wins(deployed, monkeypatch):
    monkeypatch.setenv("JAKI_WEBHOOK_SECRET", "from-env")
    assert config.settings().secret("JAKI_WEBHOOK_SECRET") == "from-env"


def test_param_names_one_parameter_or_a_secrets_manager_secret(deployed, aws, monkeypatch):
    name = f"{deployed}elsewhere/JAKI"
    aws("ssm").put_parameter(Name=name, Value="jaki-explicit", Type="SecureString")
    arn = aws("secretsmanager").create_secret(Name=f"crm-test/{time.time_ns()}", SecretString="key-from-sm")["ARN"]
    monkeypatch.setenv("JAKI_WEBHOOK_SECRET_PARAM", name)
    monkeypatch.setenv("TRACKING_CODE_KEY_PARAM", arn)
    settings = config.settings()
    assert settings.secret("JAKI_WEBHOOK_SECRET") == "jaki-explicit"
    assert settings.tracking_code_key == b"key-from-sm"


def test_missing_secrets_fail_closed_outside_local(deployed, monkeypatch):
    settings = config.settings()
    assert settings.secret("X_CONSUMER_SECRET") is None
    monkeypatch.setenv("TRACKING_CODE_KEY_PARAM", f"{deployed}DOES_NOT_EXIST")
    config.reset()
    assert config.settings().secret("TRACKING_CODE_KEY") is None
    with pytest.raises(config.ConfigurationError):
        _ = config.settings().tracking_code_key


def test_local_stage_still_falls_back_to_the_dev_default(app_env, monkeypatch, prefix):
    monkeypatch.setenv("SECRETS_SSM_PREFIX", prefix)
    config.reset()
    assert config.settings().secret("TRACKING_CODE_KEY") is not None
    assert config.settings().secret("GOVERNOR_X_ACCESS_TOKEN") is None  # no dev default for it
    monkeypatch.setenv("SECRETS_SSM_PREFIX", "/crm-test/empty/")
    config.reset()
    assert config.settings().secret("JAKI_WEBHOOK_SECRET") == config.DEV_SECRETS["JAKI_WEBHOOK_SECRET"]


def test_a_deployed_stage_accepts_webhooks_signed_with_the_ssm_secret(deployed, aws, monkeypatch):
    """End to end in-process: the webhook secret and the tracking key both come from AWS."""
    from chalice.test import Client

    import app
    from chalicelib.domain.signatures import signature_headers

    arn = aws("secretsmanager").create_secret(Name=f"crm-test/{time.time_ns()}", SecretString="k" * 64)["ARN"]
    monkeypatch.setenv("TRACKING_CODE_KEY_PARAM", arn)
    config.reset()
    raw = json.dumps(partner_body(unique())).encode()
    with Client(app.app, stage_name="local") as client:
        forged = client.http.post(
            "/webhooks/jaki",
            body=raw,
            headers={"Content-Type": "application/json", **signature_headers("dev-jaki-secret", raw, int(time.time()))},
        )
        assert forged.status_code == 401, "the dev default must not be accepted by a deployed stage"
        good = client.http.post(
            "/webhooks/jaki",
            body=raw,
            headers={"Content-Type": "application/json", **signature_headers("jaki-from-ssm", raw, int(time.time()))},
        )
        assert good.status_code == 201, good.body


def test_an_unreadable_secret_is_a_503_not_configured(deployed, monkeypatch):
    from chalice.test import Client

    import app

    monkeypatch.setenv("SECRETS_SSM_PREFIX", "/crm-test/nothing-here/")
    config.reset()
    raw = json.dumps(partner_body(unique())).encode()
    with Client(app.app, stage_name="local") as client:
        response = client.http.post("/webhooks/jaki", body=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 503
    assert json.loads(response.body)["error"]["code"] == "not_configured"


def test_secret_store_keeps_the_held_value_when_aws_is_briefly_unavailable(deployed, monkeypatch):
    assert secret_store.under_path(deployed)["JAKI_WEBHOOK_SECRET"] == "jaki-from-ssm"
    monkeypatch.setenv("SECRETS_CACHE_SECONDS", "0")

    class Down:
        def get_parameters_by_path(self, **_):
            from botocore.exceptions import ClientError

            raise ClientError(
                {"Error": {"Code": "ThrottlingException"}, "ResponseMetadata": {"HTTPStatusCode": 400}},
                "GetParametersByPath",
            )

    monkeypatch.setattr(aws_clients, "client", lambda service: Down())
    assert secret_store.under_path(deployed)["JAKI_WEBHOOK_SECRET"] == "jaki-from-ssm"
    secret_store.reset()
    with pytest.raises(aws_clients.ServiceUnavailable):
        secret_store.under_path(deployed)
