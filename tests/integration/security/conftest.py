"""Fixtures of the security suites on the stack."""

import pytest

from tests.support.stack_fixtures import botocore_faults, public_base_url  # noqa: F401 - fixtures


@pytest.fixture(scope="session")
def code_key(stack):
    """The stack's tracking-code key (a generated secret): to find a message's case."""
    import boto3

    secrets = boto3.client(
        "secretsmanager",
        endpoint_url=stack.aws_endpoint,
        region_name=stack.env["AWS_REGION"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )  # noqa: S106 - moto
    return secrets.get_secret_value(SecretId=stack.env["TRACKING_CODE_KEY_PARAM"])["SecretString"].encode()
