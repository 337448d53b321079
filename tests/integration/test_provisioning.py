"""The local stand-in is provisioned from infra/template.yaml with everything the
app uses, including what moto's CloudFormation cannot create itself."""

from __future__ import annotations

import pytest

from infra.local import unsupported
from infra.local.provision import load_template, provision


def test_every_template_output_is_provisioned(stack):
    outputs = provision(stack.aws_endpoint, stage="local")  # reuses the stack: same answers
    template = load_template()["Outputs"]
    conditional = {name for name, spec in template.items() if "Condition" in spec}
    assert conditional == {"ApiWebAclArn"}  # the WAF: EnableWaf is off by default, so locally too
    assert set(outputs) == set(template) - conditional
    assert outputs["UserPoolIssuer"].endswith(outputs["UserPoolId"])
    assert stack.env["COGNITO_USER_POOL_ID"] == outputs["UserPoolId"]


def test_officer_user_pool_client_and_groups(stack, aws):
    pool_id = stack.env["COGNITO_USER_POOL_ID"]
    cognito = aws("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert pool["UsernameAttributes"] == ["email"]
    assert any(a["Name"] == "custom:agency_id" for a in pool["SchemaAttributes"])
    groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
    assert groups == {"intake_officer", "agency_officer", "bureau_verifier", "supervisor", "admin"}
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=stack.env["COGNITO_APP_CLIENT_ID"])
    client = client["UserPoolClient"]
    assert "ClientSecret" not in client
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert "custom:agency_id" not in client.get("WriteAttributes", [])


def test_photos_bucket_cors_and_lifecycle(stack, aws):
    bucket = stack.env["PHOTOS_BUCKET"]
    rules = aws("s3").get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert {"PUT", "POST"} <= set(rules[0]["AllowedMethods"])
    lifecycle = {r["ID"] for r in aws("s3").get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert "expire-unprocessed-uploads" in lifecycle


def test_tracking_key_is_a_generated_secret(stack, aws):
    value = aws("secretsmanager").get_secret_value(SecretId=stack.env["TRACKING_CODE_KEY_PARAM"])["SecretString"]
    assert len(value) == 64 and value.isalnum()


def test_unknown_unsupported_types_are_refused_with_a_reason():
    template = {"Resources": {"Thing": {"Type": "AWS::Made::Up", "Properties": {}}}}
    with pytest.raises(NotImplementedError, match="AWS::Made::Up"):
        unsupported.split(template, {}, supported=set())


def test_supported_resources_may_not_depend_on_unsupported_ones():
    template = {
        "Resources": {
            "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "Pool"}}},
        }
    }
    with pytest.raises(NotImplementedError, match="Topic refers to Pool"):
        unsupported.split(template, {}, supported={"AWS::SNS::Topic"})
