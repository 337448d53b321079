"""Resources moto's CloudFormation does not implement, made from the template anyway.

``split`` takes them out of the template moto gets (plus the outputs that
refer to them) and asks moto for the values they need from the rest of the
stack as extra outputs. ``create`` then makes each one through moto's API from
its evaluated template properties, in dependency order, and computes the
outputs moto could not. Every creator finds an existing resource first, so
provisioning the same stand-in twice is harmless.

Adding a resource type to infra/template.yaml that moto lacks: add a creator
here if the app (or `make run`) uses it, or a reason to ``NOT_NEEDED_LOCALLY``
if it has no local effect. Provisioning refuses a type with neither.
"""

from __future__ import annotations

import copy
import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.cfn import (
    UnresolvedReference,
    condition_evaluator,
    evaluate,
    parameter_values,
    references,
)

# Types with no effect on the app or `make run`, and why.
NOT_NEEDED_LOCALLY = {
    "AWS::CloudWatch::Alarm": "the stand-in has no metrics; alarms are checked by cfn-lint and the deploy tests",
    "AWS::SQS::QueuePolicy": "moto does not enforce resource policies",
    "AWS::SNS::TopicPolicy": "moto does not enforce resource policies",
    "AWS::S3::BucketPolicy": "moto does not enforce resource policies",
    "AWS::SES::ReceiptRuleSet": "no SMTP locally: tests and make run put the raw message into the inbound bucket",
    "AWS::SES::ReceiptRule": "no SMTP locally: tests and make run put the raw message into the inbound bucket",
    "AWS::Scheduler::Schedule": "the local event runner fires the app's schedules",
    "AWS::Lambda::EventInvokeConfig": "no Lambda runtime locally: the event runner calls handlers",
    "AWS::WAFv2::WebACL": "no API Gateway locally: the app's own rate limits (api/limits.py) act under make run",
}

ExtraOutputs = dict[str, tuple[str, str | None]]  # synthetic output name -> (logical id, attribute)


@dataclass
class Plan:
    moto_template: dict[str, Any]
    template: dict[str, Any]
    parameters: dict[str, Any]
    to_create: list[str]  # logical ids, dependency order
    skipped: dict[str, str]  # logical id -> reason
    local_outputs: list[str]  # outputs computed here rather than by moto
    extra_outputs: ExtraOutputs = field(default_factory=dict)


def moto_supported_types() -> set[str]:
    from moto.cloudformation.parsing import get_model_map

    return set(get_model_map())


def split(template: dict[str, Any], parameters: dict[str, str], supported: set[str] | None = None) -> Plan:
    supported = moto_supported_types() if supported is None else supported
    resources = template.get("Resources", {})
    unsupported = {lid for lid, res in resources.items() if res["Type"] not in supported}
    unknown = sorted(
        f"{lid} ({resources[lid]['Type']})"
        for lid in unsupported
        if resources[lid]["Type"] not in _CREATORS and resources[lid]["Type"] not in NOT_NEEDED_LOCALLY
    )
    if unknown:
        raise NotImplementedError(
            "moto's CloudFormation cannot create " + ", ".join(unknown) + ": add a creator or a "
            "NOT_NEEDED_LOCALLY reason in infra/local/unsupported.py"
        )
    for lid, res in resources.items():
        if lid in unsupported:
            continue
        needs = sorted({target for target, _ in references(res) if target in unsupported})
        if needs:
            raise NotImplementedError(
                f"{lid} refers to {', '.join(needs)}, which moto cannot create: "
                "infra/local/unsupported.py cannot provision this order"
            )
    outputs = template.get("Outputs", {})
    local_outputs = [
        name for name, out in outputs.items() if any(target in unsupported for target, _ in references(out))
    ]

    # What the unsupported resources and local outputs read from moto's part.
    extra: ExtraOutputs = {}
    wanted = [resources[lid] for lid in unsupported] + [outputs[name] for name in local_outputs]
    for target, attribute in {pair for fragment in wanted for pair in references(fragment)}:
        if target in resources and target not in unsupported:
            extra[f"LocalRef{len(extra)}"] = (target, attribute)

    moto_template = copy.deepcopy(template)
    moto_template["Resources"] = {lid: res for lid, res in resources.items() if lid not in unsupported}
    moto_outputs = {name: out for name, out in outputs.items() if name not in local_outputs}
    for name, (target, attribute) in extra.items():
        moto_outputs[name] = {"Value": {"Fn::GetAtt": [target, attribute]} if attribute else {"Ref": target}}
    moto_template["Outputs"] = moto_outputs

    order: list[str] = []

    def visit(lid: str, path: tuple[str, ...] = ()) -> None:
        if lid in order:
            return
        if lid in path:
            raise NotImplementedError(f"reference cycle among {', '.join(path)}")
        for target, _ in references(resources[lid]):
            if target in unsupported:
                visit(target, (*path, lid))
        order.append(lid)

    for lid in sorted(unsupported, key=list(resources).index):
        visit(lid)
    skipped = {
        lid: NOT_NEEDED_LOCALLY[resources[lid]["Type"]] for lid in order if resources[lid]["Type"] in NOT_NEEDED_LOCALLY
    }
    return Plan(
        moto_template=moto_template,
        template=template,
        parameters=parameter_values(template, parameters),
        to_create=[lid for lid in order if lid not in skipped],
        skipped=skipped,
        local_outputs=local_outputs,
        extra_outputs=extra,
    )


def create(
    plan: Plan,
    moto_outputs: dict[str, str],
    client: Callable[[str], Any],
    *,
    stack_name: str,
    region: str,
) -> dict[str, str]:
    """Make the unsupported resources; return all the stack's outputs."""
    account = client("sts").get_caller_identity()["Account"]
    pseudo = {
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": "aws",
        "AWS::StackName": stack_name,
        "AWS::URLSuffix": "amazonaws.com",
    }
    from_moto = {pair: moto_outputs[name] for name, pair in plan.extra_outputs.items()}
    made: dict[str, dict[str, str]] = {}  # logical id -> {"Ref": ..., attribute: ...}
    resources = plan.template.get("Resources", {})

    def ref(name: str) -> Any:
        if name in plan.parameters:
            return plan.parameters[name]
        if name in pseudo:
            return pseudo[name]
        if (name, None) in from_moto:
            return from_moto[(name, None)]
        if name in made:
            return made[name]["Ref"]
        if name in plan.skipped:
            return f"local-not-created-{name}"
        raise UnresolvedReference(f"Ref {name}")

    def get_att(name: str, attribute: str) -> Any:
        if (name, attribute) in from_moto:
            return from_moto[(name, attribute)]
        if name in made and attribute in made[name]:
            return made[name][attribute]
        raise UnresolvedReference(f"Fn::GetAtt {name}.{attribute}")

    condition = condition_evaluator(plan.template, ref)
    for lid in plan.to_create:
        resource = resources[lid]
        if "Condition" in resource and not condition(resource["Condition"]):
            continue
        properties = evaluate(resource.get("Properties", {}), ref, get_att, condition)
        made[lid] = _CREATORS[resource["Type"]](properties, client, lid)

    outputs = {name: value for name, value in moto_outputs.items() if name not in plan.extra_outputs}
    for name in plan.local_outputs:
        spec = plan.template["Outputs"][name]
        if "Condition" in spec and not condition(spec["Condition"]):
            continue
        outputs[name] = str(evaluate(spec["Value"], ref, get_att, condition))
    return outputs


# --- creators: CloudFormation properties -> moto API calls ---------------------------


def _api_kwargs(api: Any, operation: str, properties: dict[str, Any], **renamed: str) -> dict[str, Any]:
    """The properties that are also parameters of ``operation`` (CloudFormation and
    the API mostly share names; ``renamed`` maps API name -> property name)."""
    members = api.meta.service_model.operation_model(operation).input_shape.members
    kwargs = {name: properties[name] for name in members if name in properties}
    kwargs.update({name: properties[prop] for name, prop in renamed.items() if prop in properties})
    return kwargs


def _user_pool(properties: dict[str, Any], client: Callable[[str], Any], lid: str) -> dict[str, str]:
    cognito = client("cognito-idp")
    name = properties.get("UserPoolName", lid)
    pool = next((p for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == name), None)
    if pool is None:
        kwargs = _api_kwargs(cognito, "CreateUserPool", properties, PoolName="UserPoolName")
        kwargs.setdefault("PoolName", name)
        pool = cognito.create_user_pool(**kwargs)["UserPool"]
        if properties.get("MfaConfiguration"):
            mfa: dict[str, Any] = {"UserPoolId": pool["Id"], "MfaConfiguration": properties["MfaConfiguration"]}
            if "SOFTWARE_TOKEN_MFA" in properties.get("EnabledMfas", []):
                mfa["SoftwareTokenMfaConfiguration"] = {"Enabled": True}
            cognito.set_user_pool_mfa_config(**mfa)
    pool_id = pool["Id"]
    region = pool_id.split("_", 1)[0]
    arn = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Arn"]
    provider = f"cognito-idp.{region}.amazonaws.com/{pool_id}"
    return {
        "Ref": pool_id,
        "Arn": arn,
        "ProviderName": provider,
        "ProviderURL": f"https://{provider}",
        "UserPoolId": pool_id,
    }


def _user_pool_client(properties: dict[str, Any], client: Callable[[str], Any], lid: str) -> dict[str, str]:
    cognito = client("cognito-idp")
    pool_id = properties["UserPoolId"]
    name = properties.get("ClientName", lid)
    found = next(
        (
            c
            for c in cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
            if c["ClientName"] == name
        ),
        None,
    )
    if found is None:
        kwargs = _api_kwargs(cognito, "CreateUserPoolClient", properties)
        kwargs["ClientName"] = name
        found = cognito.create_user_pool_client(**kwargs)["UserPoolClient"]
    return {"Ref": found["ClientId"], "ClientId": found["ClientId"], "Name": name}


def _user_pool_group(properties: dict[str, Any], client: Callable[[str], Any], lid: str) -> dict[str, str]:
    cognito = client("cognito-idp")
    name = properties.get("GroupName", lid)
    try:
        cognito.get_group(GroupName=name, UserPoolId=properties["UserPoolId"])
    except cognito.exceptions.ResourceNotFoundException:
        cognito.create_group(**_api_kwargs(cognito, "CreateGroup", {**properties, "GroupName": name}))
    return {"Ref": name}


def _secret(properties: dict[str, Any], client: Callable[[str], Any], lid: str) -> dict[str, str]:
    manager = client("secretsmanager")
    name = properties.get("Name", lid)
    try:
        arn = manager.describe_secret(SecretId=name)["ARN"]
    except manager.exceptions.ResourceNotFoundException:
        kwargs = _api_kwargs(manager, "CreateSecret", {**properties, "Name": name})
        if "SecretString" not in kwargs:
            kwargs["SecretString"] = _generated_secret(properties.get("GenerateSecretString", {}))
        arn = manager.create_secret(**kwargs)["ARN"]
    return {"Ref": arn, "Id": arn}


def _generated_secret(spec: dict[str, Any]) -> str:
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&*+-.:;<=>?@^_~"
    value = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "SecretStringTemplate" in spec and "GenerateStringKey" in spec:
        return json.dumps({**json.loads(spec["SecretStringTemplate"]), spec["GenerateStringKey"]: value})
    return value


def _subscription(properties: dict[str, Any], client: Callable[[str], Any], lid: str) -> dict[str, str]:
    sns = client("sns")
    topic, protocol, endpoint = properties["TopicArn"], properties["Protocol"], properties["Endpoint"]
    for existing in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]:
        if existing["Protocol"] == protocol and existing["Endpoint"] == endpoint:
            return {"Ref": existing["SubscriptionArn"]}
    attributes: dict[str, str] = {}
    for name in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy"):
        if name in properties:
            value = properties[name]
            attributes[name] = value if isinstance(value, str) else json.dumps(value)
    for name in ("FilterPolicyScope", "RawMessageDelivery"):
        if name in properties:
            attributes[name] = str(properties[name]).lower() if name == "RawMessageDelivery" else properties[name]
    arn = sns.subscribe(
        TopicArn=topic, Protocol=protocol, Endpoint=endpoint, Attributes=attributes, ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    return {"Ref": arn}


def _email_identity(properties: dict[str, Any], client: Callable[[str], Any], lid: str) -> dict[str, str]:
    """Replies by e-mail: moto's SES, like SES, sends only from verified identities."""
    identity = properties["EmailIdentity"]
    ses = client("ses")
    if "@" in identity:
        ses.verify_email_identity(EmailAddress=identity)
    else:
        ses.verify_domain_identity(Domain=identity)
    return {"Ref": identity}


_CREATORS: dict[str, Callable[[dict[str, Any], Callable[[str], Any], str], dict[str, str]]] = {
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::Cognito::UserPoolClient": _user_pool_client,
    "AWS::Cognito::UserPoolGroup": _user_pool_group,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::SNS::Subscription": _subscription,
    "AWS::SES::EmailIdentity": _email_identity,
}
