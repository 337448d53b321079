"""Fixtures of the security suites on the stack."""

import pytest


@pytest.fixture(scope="module", autouse=True)
def public_base_url(stack):
    """Twilio signs the app's public URL: deliveries made here are signed for the stack's
    (module scope: module fixtures that deliver run before function ones)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PUBLIC_BASE_URL", stack.env["PUBLIC_BASE_URL"])
        yield


@pytest.fixture(scope="session")
def code_key(stack):
    """The stack's tracking-code key (a generated secret): to find a message's case."""
    import boto3

    secrets = boto3.client("secretsmanager", endpoint_url=stack.aws_endpoint, region_name=stack.env["AWS_REGION"],
                           aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106 - moto
    return secrets.get_secret_value(SecretId=stack.env["TRACKING_CODE_KEY_PARAM"])["SecretString"].encode()
