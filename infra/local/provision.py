"""Provision the local AWS stand-in from infra/template.yaml -- the same file
ops deploy to AWS -- so local and cloud resources cannot drift apart.

moto's CloudFormation creates the resources; what it cannot do is filled in
from the same definitions, never from a second copy:

* properties it ignores are applied afterwards (`_GAP_FILLERS`);
* resource types it does not implement at all (Cognito, Secrets Manager,
  SNS subscriptions, ...) are created through moto's API (`_CREATORS`) after
  the stack, with their properties evaluated from the template (`intrinsics`);
* types with no local effect (alarms, resource policies moto does not
  enforce, SES receiving) are skipped, each with its reason (`_NOT_NEEDED_LOCALLY`).

A type in none of these makes provisioning fail with a message saying so.

    python -m infra.local.provision --endpoint http://127.0.0.1:4566
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"
DEFAULT_REGION = "ap-southeast-3"  # Jakarta

# Credentials for the stand-in; moto accepts any. Never real ones.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """Parse a CloudFormation YAML template, short-form tags (!Ref, !Sub...) included."""
    import yaml

    class CfnLoader(yaml.SafeLoader):
        pass

    def intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
        name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag_suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        elif isinstance(node, yaml.MappingNode):
            value = loader.construct_mapping(node, deep=True)
        else:
            raise yaml.YAMLError(f"!{tag_suffix} takes a scalar, a list or a mapping")
        return {name: value}

    CfnLoader.add_multi_constructor("!", intrinsic)
    return yaml.load(path.read_text(), Loader=CfnLoader)  # noqa: S506 - SafeLoader subclass


def _client(service: str, endpoint: str, region: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def _table_ttl(properties: dict[str, Any], physical_id: str, client: Callable[[str], Any]) -> None:
    spec = properties.get("TimeToLiveSpecification")
    if spec and spec.get("Enabled"):
        client("dynamodb").update_time_to_live(
            TableName=physical_id,
            TimeToLiveSpecification={"AttributeName": spec["AttributeName"], "Enabled": True},
        )


def _bucket_public_access_block(properties: dict[str, Any], physical_id: str, client: Callable[[str], Any]) -> None:
    block = properties.get("PublicAccessBlockConfiguration")
    if block:
        client("s3").put_public_access_block(Bucket=physical_id, PublicAccessBlockConfiguration=block)


def _bucket_versioning(properties: dict[str, Any], physical_id: str, client: Callable[[str], Any]) -> None:
    versioning = properties.get("VersioningConfiguration")
    if versioning:
        client("s3").put_bucket_versioning(Bucket=physical_id, VersioningConfiguration={"Status": versioning["Status"]})


def _bucket_cors(properties: dict[str, Any], physical_id: str, client: Callable[[str], Any]) -> None:
    cors = properties.get("CorsConfiguration")
    if cors:
        client("s3").put_bucket_cors(
            Bucket=physical_id,
            CORSConfiguration={
                "CORSRules": [
                    {key: rule[key] for key in ("AllowedMethods", "AllowedOrigins", "AllowedHeaders") if key in rule}
                    | ({"ExposeHeaders": rule["ExposedHeaders"]} if "ExposedHeaders" in rule else {})
                    | ({"MaxAgeSeconds": rule["MaxAge"]} if "MaxAge" in rule else {})
                    for rule in cors["CorsRules"]
                ]
            },
        )


def _bucket_lifecycle(properties: dict[str, Any], physical_id: str, client: Callable[[str], Any]) -> None:
    lifecycle = properties.get("LifecycleConfiguration")
    if not lifecycle:
        return
    rules = []
    for rule in lifecycle["Rules"]:
        api: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
        if "ExpirationInDays" in rule:
            api["Expiration"] = {"Days": rule["ExpirationInDays"]}
        if "AbortIncompleteMultipartUpload" in rule:
            api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
        if "NoncurrentVersionExpiration" in rule:
            api["NoncurrentVersionExpiration"] = rule["NoncurrentVersionExpiration"]
        if "Transitions" in rule:
            api["Transitions"] = [
                {"Days": t["TransitionInDays"], "StorageClass": t["StorageClass"]} for t in rule["Transitions"]
            ]
        rules.append(api)
    client("s3").put_bucket_lifecycle_configuration(Bucket=physical_id, LifecycleConfiguration={"Rules": rules})


def _bucket_notifications(properties: dict[str, Any], physical_id: str, client: Callable[[str], Any]) -> None:
    notifications = properties.get("NotificationConfiguration")
    if not notifications:
        return
    queues = []
    for spec in notifications.get("QueueConfigurations", []):
        queue: dict[str, Any] = {"QueueArn": spec["Queue"], "Events": [spec["Event"]]}
        rules = (spec.get("Filter") or {}).get("S3Key", {}).get("Rules")
        if rules:
            queue["Filter"] = {"Key": {"FilterRules": rules}}
        queues.append(queue)
    client("s3").put_bucket_notification_configuration(
        Bucket=physical_id, NotificationConfiguration={"QueueConfigurations": queues}
    )


_GAP_FILLERS: dict[str, list[Callable[[dict[str, Any], str, Callable[[str], Any]], None]]] = {
    "AWS::DynamoDB::Table": [_table_ttl],
    "AWS::S3::Bucket": [
        _bucket_public_access_block,
        _bucket_versioning,
        _bucket_cors,
        _bucket_lifecycle,
        _bucket_notifications,
    ],
}


def _evaluated(
    properties: dict[str, Any], plan: Any, physical: dict[str, str], pseudo: dict[str, str]
) -> dict[str, Any]:
    """Properties with parameters, pseudo parameters and Refs filled in (for the gap fillers)."""
    from infra.cfn import condition_evaluator, evaluate

    def ref(name: str) -> Any:
        for source in (plan.parameters, pseudo, physical):
            if name in source:
                return source[name]
        raise KeyError(f"Ref {name}")

    def get_att(name: str, attribute: str) -> Any:
        raise KeyError(f"Fn::GetAtt {name}.{attribute} in a property moto ignores")

    return evaluate(properties, ref, get_att, condition_evaluator(plan.template, ref))


def provision(endpoint: str, stage: str = "local", region: str = DEFAULT_REGION) -> dict[str, str]:
    """Create (or reuse) the stack on the stand-in; return its outputs."""
    from infra.local import unsupported

    stack_name = f"crm-{stage}"

    def client(service: str) -> Any:
        return _client(service, endpoint, region)

    template = load_template()
    plan = unsupported.split(template, {"Stage": stage})
    cloudformation = client("cloudformation")
    existing = {
        s["StackName"]
        for s in cloudformation.list_stacks().get("StackSummaries", [])
        if s["StackStatus"] != "DELETE_COMPLETE"
    }
    if stack_name not in existing:
        cloudformation.create_stack(
            StackName=stack_name,
            TemplateBody=json.dumps(plan.moto_template),
            Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
        )
        cloudformation.get_waiter("stack_create_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
        physical = {resource["LogicalResourceId"]: resource["PhysicalResourceId"] for resource in resources}
        pseudo = {
            "AWS::Region": region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack_name,
            "AWS::AccountId": client("sts").get_caller_identity()["Account"],
        }
        for resource in resources:
            definition = template["Resources"].get(resource["LogicalResourceId"], {})
            fillers = _GAP_FILLERS.get(resource["ResourceType"], [])
            if fillers:
                properties = _evaluated(definition.get("Properties", {}), plan, physical, pseudo)
                for fill in fillers:
                    fill(properties, resource["PhysicalResourceId"], client)
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    moto_outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    # Creators find what an earlier run made, so a reused stack gets the same answers.
    return unsupported.create(plan, moto_outputs, client, stack_name=stack_name, region=region)


def app_environment(outputs: dict[str, str], endpoint: str, region: str = DEFAULT_REGION) -> dict[str, str]:
    """The environment the app needs to run against the provisioned stand-in."""
    return {
        "CRM_STAGE": "local",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        **LOCAL_CREDENTIALS,
        "CASES_TABLE": outputs["CasesTableName"],
        "CASES_STREAM_ARN": outputs["CasesStreamArn"],
        "RATE_LIMITS_TABLE": outputs["RateLimitsTableName"],
        "PHOTOS_BUCKET": outputs["PhotosBucketName"],
        "EVENTS_TOPIC_ARN": outputs["CaseEventsTopicArn"],
        "SECRETS_SSM_PREFIX": outputs["SecretsParameterPath"],
        "TRACKING_CODE_KEY_PARAM": outputs["TrackingCodeKeySecretArn"],
        "COGNITO_USER_POOL_ID": outputs["UserPoolId"],
        "COGNITO_APP_CLIENT_ID": outputs["UserPoolClientId"],
        "COGNITO_ISSUER": outputs["UserPoolIssuer"],
        # moto serves the pool's keys itself; in AWS the issuer's JWKS URL is used.
        "COGNITO_JWKS_URL": f"{endpoint}/{outputs['UserPoolId']}/.well-known/jwks.json",
        "FOLLOWUPS_QUEUE": outputs["FollowupsQueueName"],
        "METRICS_QUEUE": outputs["MetricsQueueName"],
        "NOTIFICATIONS_QUEUE": outputs["NotificationsQueueName"],
        "REPLIES_QUEUE": outputs["RepliesQueueName"],
        "REPLIES_QUEUE_URL": outputs["RepliesQueueUrl"],
        "MEDIA_QUEUE": outputs["MediaQueueName"],
        "INBOUND_EMAIL_BUCKET": outputs["InboundEmailBucketName"],
        "INBOUND_EMAIL_QUEUE": outputs["InboundEmailQueueName"],
        "ALERTS_QUEUE": outputs["AlertsQueueName"],
        "CONTACT_KEY_ARN": outputs["ContactKeyArn"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Provision the local AWS stand-in from infra/template.yaml")
    parser.add_argument("--endpoint", default="http://127.0.0.1:4566")
    parser.add_argument("--stage", default="local")
    args = parser.parse_args(argv)
    print(json.dumps(provision(args.endpoint, args.stage), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
