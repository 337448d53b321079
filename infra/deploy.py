"""Deploy to AWS (`make deploy`) or build one template for pipelines (`make package`).

    python -m infra.deploy deploy  --stage dev  [--alarm-email ops@example.org]
    python -m infra.deploy package --stage prod --out build/package-prod

Everything a stage needs is derived from three files, so nothing is written
twice:

* infra/template.yaml        tables, buckets, topics, queues, user pool, alarms...
* infra/functions.yaml       each Lambda function's IAM statements (least privilege)
* .chalice/config.json       stages: memory, timeouts, fixed environment variables

plus, generated from app.py's handlers: a log group (30-day retention) per
function, the alarms and the dashboard of infra/observability.py, and the
environment variables of ``infra.local.provision.app_environment`` (the same
mapping `make run` uses: stack output -> variable).

`deploy`, as ops run it: the stage's deployments bucket (stack
``crm-<stage>-deployments``); under the stage's deploy lock, with Chalice's
deployed state pulled from that bucket and pushed back (infra/deploy_state.py),
the infra stack ``crm-<stage>-infra`` (CloudFormation), then ``chalice deploy``
of a generated copy of the project (build/deploy-<stage>/) whose config holds
the stack's real names and ARNs, then what chalice deploy cannot declare.

`package` runs ``chalice package --merge-template`` so that the infra
resources, the functions and their policies are one CloudFormation (SAM)
template; policies and variables refer to the resources instead of naming them.
It prints deployment.zip's size and fails when it unzips to more than 25 MB.

Both build the dependencies once per requirements.txt (build/site-packages-*):
Chalice's own choice of Lambda-compatible wheels, then native libraries
stripped of debug symbols and the Python modules compiled (sourceless); the
copy of the project takes them as vendor/, and our own modules' bytecode beside
their source (infra/bytecode.py, docs/scaling.md "Package size").
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra import bytecode, deploy_state, iam, native, observability
from infra.local.provision import DEFAULT_REGION, load_template

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
APP_NAME = "crm"
LOG_RETENTION_DAYS = 30

# app_environment() entries that only make sense against the local stand-in.
LOCAL_ONLY_VARIABLES = {
    "CRM_STAGE",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "COGNITO_JWKS_URL",
}


# Every function loads the one deployment.zip: its unzipped size is what a cold start unpacks.
PACKAGE_LIMIT_BYTES = 25_000_000

# API Gateway throttles of the deployed stage: (route, method, requests per second, burst).
# The first row is the stage's default for every method; the others are stricter where a
# request costs more or guesses something (docs/security.md "Rate limits"). API Gateway
# answers over them with 429 before Lambda runs. Both deploy paths apply this one list:
# `make package` as the RestAPI's MethodSettings, `make deploy` with update_stage.
STAGE_THROTTLES: tuple[tuple[str, str, int, int], ...] = (
    ("/*", "*", 100, 200),
    ("/status/{tracking_code}", "GET", 20, 40),
    ("/status/{tracking_code}/photos/{photo_id}", "GET", 20, 40),
    ("/reports", "POST", 5, 20),
    ("/report", "POST", 5, 20),
    ("/alerts/subscriptions", "POST", 2, 10),
    ("/webhooks/{channel}", "POST", 50, 100),
)


def _setting_path(route: str) -> str:
    """A method setting's resource path: "/*", or the route with each "/" as "~1"."""
    return route if route == "/*" else "/" + route.replace("/", "~1")


def method_settings() -> list[dict[str, Any]]:
    """The MethodSettings of the API stage: STAGE_THROTTLES, and detailed metrics on the one method
    the webhook latency alarm reads (infra/observability.py)."""
    settings = []
    for route, method, rate, burst in STAGE_THROTTLES:
        setting: dict[str, Any] = {
            "ResourcePath": _setting_path(route),
            "HttpMethod": method,
            "ThrottlingRateLimit": rate,
            "ThrottlingBurstLimit": burst,
        }
        if (route, method) == (observability.WEBHOOK_RESOURCE, "POST"):
            setting["MetricsEnabled"] = True
        settings.append(setting)
    return settings


def throttle_patch_operations() -> list[dict[str, str]]:
    """STAGE_THROTTLES as update_stage patch operations (`make deploy`)."""
    operations = []
    for route, method, rate, burst in STAGE_THROTTLES:
        prefix = f"{_setting_path(route)}/{method}/throttling"
        operations.append({"op": "replace", "path": f"{prefix}/rateLimit", "value": str(rate)})
        operations.append({"op": "replace", "path": f"{prefix}/burstLimit", "value": str(burst)})
    return operations


def waf_default(stage: str) -> str:
    """The EnableWaf parameter's default: on in prod, off in dev (it costs money)."""
    return "true" if stage == "prod" else "false"


class DeployError(RuntimeError):
    pass


# --- what the app needs ------------------------------------------------------------------


class _OutputPlaceholders(dict):
    """Stands in for the stack outputs: every output reads as ``${OutputName}``."""

    def __missing__(self, key: str) -> str:
        return f"${{{key}}}"

    def get(self, key: str, default: Any = None) -> str:  # noqa: ARG002 - same signature as dict.get
        return self[key]


def environment_template() -> dict[str, str]:
    """Lambda environment variables that come from stack outputs, as ``${Output}`` text."""
    from infra.local.provision import app_environment

    variables = app_environment(_OutputPlaceholders(), endpoint="http://unused", region=DEFAULT_REGION)
    return {name: value for name, value in variables.items() if name not in LOCAL_ONLY_VARIABLES and "${" in str(value)}


def app_module() -> Any:
    sys.path.insert(0, str(ROOT))
    import app

    return app


def function_logical_id(function: str) -> str:
    from chalice.utils import to_cfn_resource_name

    return "APIHandler" if function == "api_handler" else to_cfn_resource_name(function)


def chalice_config() -> dict[str, Any]:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())


# --- generated resources per function ------------------------------------------------------


def function_resources(stage: str, functions: dict[str, Any]) -> dict[str, Any]:
    """A log group with retention for every Lambda function of the app."""
    resources: dict[str, Any] = {}
    for function in functions:
        name = iam.lambda_name(function, stage, APP_NAME)
        resources[f"{function_logical_id(function)}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {"LogGroupName": f"/aws/lambda/{name}", "RetentionInDays": LOG_RETENTION_DAYS},
        }
    return resources


def infra_template(stage: str, functions: dict[str, Any]) -> dict[str, Any]:
    """infra/template.yaml plus the per-function log groups, the alarms and the dashboard
    (infra/observability.py): the infra stack `make deploy` creates."""
    template = load_template()
    settings = chalice_config()["stages"][stage].get("lambda_functions", {})
    timeouts = {function: settings.get(function, {}).get("lambda_timeout") for function in functions}
    template["Resources"].update(function_resources(stage, functions))
    template["Resources"].update(observability.resources(stage, functions, template, timeouts))
    return template


# --- the dependencies, lean ---------------------------------------------------------------------


def lambda_site_packages(requirements: Path = ROOT / "requirements.txt") -> Path:
    """requirements.txt installed for the Lambda runtime, unused native parts pruned, checked to
    load on Lambda (infra/native.py), stripped, then sourceless bytecode (infra/bytecode.py);
    cached in build/ by the requirements' hash (callers hold build_lock)."""
    from chalice import __version__ as chalice_version
    from chalice.deploy.packager import DependencyBuilder, MissingDependencyError
    from chalice.utils import OSUtils

    abi = f"cp{sys.version_info.major}{sys.version_info.minor}"  # Chalice deploys the runtime it runs on
    recipe = f"{abi} {chalice_version} {sorted(native.UNUSED)} {bytecode.RECIPE}"
    key = hashlib.sha256(requirements.read_bytes() + recipe.encode()).hexdigest()[:16]
    target = BUILD / f"site-packages-{abi}-{key}"
    if target.is_dir():
        return target
    staging = BUILD / f".site-packages-{abi}-{key}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        DependencyBuilder(OSUtils()).build_site_packages(abi, str(requirements), str(staging))
    except MissingDependencyError as error:
        missing = ", ".join(sorted(package.identifier for package in error.missing))
        raise DeployError(f"no Lambda-compatible build of: {missing}") from None
    native.prune(staging)
    problems = native.problems(staging)
    if problems:
        raise DeployError(
            "the dependencies would not load on Lambda (a package built from source on this machine? "
            "pin a version with a manylinux2014 wheel):\n  " + "\n  ".join(problems)
        )
    strip_native_libraries(staging)
    bytecode.prune(staging)
    bytecode.trim_distribution_info(staging)
    bytecode.make_sourceless(staging)  # no source to compile on a cold start (infra/bytecode.py)
    staging.rename(target)
    return target


def strip_native_libraries(directory: Path) -> None:
    """Debug symbols are for debuggers, not for Lambda: ``strip --strip-unneeded`` every
    shared library (what the dynamic loader needs stays). Without ``strip`` nothing changes."""
    strip = shutil.which("strip")
    if strip is None:
        print("infra.deploy: no `strip` found (binutils); native libraries keep their symbols", file=sys.stderr)
        return
    for path in sorted(directory.rglob("*.so*")):
        if path.is_file() and not path.is_symlink() and (path.suffix == ".so" or ".so." in path.name):
            subprocess.run([strip, "--strip-unneeded", str(path)], check=False, capture_output=True)  # noqa: S603


def package_size(zip_path: Path) -> tuple[int, int]:
    """(zipped, unzipped) bytes of a deployment package."""
    import zipfile

    with zipfile.ZipFile(zip_path) as archive:
        return zip_path.stat().st_size, sum(entry.file_size for entry in archive.infolist())


def check_package_size(zip_path: Path, limit: int = PACKAGE_LIMIT_BYTES) -> str:
    """A line saying how large the package is; DeployError when it unzips to more than ``limit``."""
    zipped, unzipped = package_size(zip_path)
    line = f"{zip_path.name}: {zipped / 1e6:.1f} MB zipped, {unzipped / 1e6:.1f} MB unzipped (limit {limit / 1e6:g} MB)"
    if unzipped > limit:
        raise DeployError(
            f"{line}: the package is too large; see which dependency grew with "
            f"`unzip -l {zip_path}` (docs/scaling.md, Package size)"
        )
    return line


# --- a Chalice project per stage --------------------------------------------------------------


def add_bytecode(project: Path) -> None:
    """vendor/ (which Chalice bundles as it is): the dependencies built, stripped and compiled once
    (lambda_site_packages, each entry a link), plus the bytecode of the modules whose source
    Chalice adds itself: app.py and its runtime (chalice/app.py, chalice/__init__.py). And
    chalicelib/__pycache__ (Chalice bundles chalicelib/ whole). All unchecked-hash pycs beside
    their source: /var/task is read-only, a cold start must find them there (infra/bytecode.py)."""
    import chalice
    import chalice.app

    vendor = project / "vendor"
    vendor.mkdir()
    for entry in sorted(lambda_site_packages().iterdir()):
        (vendor / entry.name).symlink_to(entry)
    runtime = [
        (Path(module.__file__ or ""), f"chalice/{Path(module.__file__ or '').name}")
        for module in (chalice.app, chalice)
    ]
    if any(not source.name.endswith(".py") or (vendor / "chalice").exists() for source, _ in runtime):
        raise DeployError(f"unexpected Chalice runtime files {runtime} (or a chalice package among the dependencies)")
    bytecode.compile_beside([(project / "app.py", "app.py"), *runtime], cache_root=vendor)
    ours = sorted((project / "chalicelib").rglob("*.py"))
    bytecode.compile_beside((source, source.relative_to(project).as_posix()) for source in ours)


def build_project(stage: str, mode: str, policies: dict[str, dict[str, Any]], variables: dict[str, str] | None) -> Path:
    """A copy of the app with the stage's generated policies (and variables)."""
    config = chalice_config()
    if stage not in config["stages"]:
        raise DeployError(f".chalice/config.json has no stage {stage!r}")
    target = BUILD / f"{mode}-{stage}"
    if target.exists():
        shutil.rmtree(target)
    (target / ".chalice").mkdir(parents=True)
    shutil.copy2(ROOT / "app.py", target / "app.py")
    (target / "requirements.txt").write_text("# The dependencies are in vendor/ (infra.deploy.lambda_site_packages).\n")
    # areas.geojson is the source of areas.packed.json, which the functions load (340 KB they never read).
    shutil.copytree(
        ROOT / "chalicelib", target / "chalicelib", ignore=shutil.ignore_patterns("__pycache__", "areas.geojson")
    )
    add_bytecode(target)
    stage_config = config["stages"][stage]
    stage_config["autogen_policy"] = False
    functions = stage_config.setdefault("lambda_functions", {})
    for function, document in policies.items():
        filename = f"policy-{stage}-{function}.json"
        (target / ".chalice" / filename).write_text(json.dumps(document, indent=2) + "\n")
        functions.setdefault(function, {})["iam_policy_file"] = filename
    if variables:
        stage_config.setdefault("environment_variables", {}).update(variables)
    (target / ".chalice" / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    # Chalice's caches and its record of deployed resources live in this checkout.
    for shared in ("deployments", "deployed"):
        (ROOT / ".chalice" / shared).mkdir(exist_ok=True)
        (target / ".chalice" / shared).symlink_to(ROOT / ".chalice" / shared)
    return target


def _chalice(project: Path, arguments: list[str], env: dict[str, str]) -> None:
    executable = Path(sys.executable).parent / "chalice"
    command = [str(executable) if executable.exists() else "chalice", "--project-dir", str(project), *arguments]
    result = subprocess.run(command, env={**os.environ, **env}, check=False)  # noqa: S603
    if result.returncode != 0:
        raise DeployError(f"{' '.join(command[2:])} failed with exit code {result.returncode}")


def checked_functions(functions_spec: dict[str, Any], functions: dict[str, Any]) -> None:
    missing = sorted(set(functions) - set(functions_spec))
    if missing:
        raise DeployError(f"infra/functions.yaml has no IAM for {', '.join(missing)} (declared in app.py)")


# --- make package -----------------------------------------------------------------------------


def package_overlay(stage: str, functions: dict[str, Any], functions_spec: dict[str, Any]) -> dict[str, Any]:
    """What `chalice package --merge-template` adds: the infra stack and the wiring to it."""
    from chalice.app import DynamoDBEventConfig, SQSEventConfig
    from chalice.utils import to_cfn_resource_name

    template = infra_template(stage, functions)
    outputs = template.get("Outputs", {})
    resolve = iam.reference_resolver(outputs)
    overlay = copy.deepcopy(template)
    overlay.pop("AWSTemplateFormatVersion", None)
    overlay["Parameters"]["Stage"]["Default"] = stage
    overlay["Parameters"]["EnableWaf"]["Default"] = waf_default(stage)
    # The stage is Chalice's (RestAPI, an AWS::Serverless::Api): its method settings (below), and the web ACL on it.
    overlay["Resources"]["ApiWebAclAssociation"] = {
        "Type": "AWS::WAFv2::WebACLAssociation",
        "Condition": "WafEnabled",
        "Properties": {
            "ResourceArn": {
                "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::"
                "/restapis/${RestAPI}/stages/${RestAPI.Stage}"
            },
            "WebACLArn": {"Fn::GetAtt": ["ApiWebAcl", "Arn"]},
        },
    }
    overlay["Parameters"]["PublicBaseUrl"] = {
        "Type": "String",
        "Description": "The API's public URL (custom domain, or the execute-api URL of a first deploy), "
        "used in status_url and photo links.",
    }
    variables = {name: resolve(text) for name, text in environment_template().items()}
    variables["PUBLIC_BASE_URL"] = {"Ref": "PublicBaseUrl"}
    for function, source in functions.items():
        logical = function_logical_id(function)
        properties: dict[str, Any] = {
            "FunctionName": iam.lambda_name(function, stage, APP_NAME),
            "Environment": {"Variables": variables},
        }
        if isinstance(source, DynamoDBEventConfig):
            properties["Events"] = {
                to_cfn_resource_name(f"{function}-dynamodb-event-source"): {
                    "Properties": {
                        "Stream": {"Fn::GetAtt": ["CasesTable", "StreamArn"]}
                        if source.stream_arn.startswith("arn:aws:dynamodb")
                        else source.stream_arn,
                        **_stream_failure(functions_spec[function], resolve),
                    }
                }
            }
        depends = [f"{logical}LogGroup"]
        if isinstance(source, SQSEventConfig):
            # Our queue workers answer with batchItemFailures: only failed messages return to the queue.
            # The app names its queues at import (crm-local-... without the stack's env): point the
            # function at the stage's queue (Chalice writes Queue as Fn::Sub; the merge replaces it).
            if source.queue is None:
                raise DeployError(f"{function}: name the queue of @app.on_sqs_message (crm-<stage>-...), not its ARN")
            queue, suffix = _queue_resource(template, source.queue)
            properties["Events"] = {
                to_cfn_resource_name(f"{function}-sqs-event-source"): {
                    "Properties": {
                        "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        "Queue": {
                            "Fn::Sub": f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:"
                            f"crm-${{Stage}}-{suffix}"
                        },
                    }
                }
            }
            depends.append(queue)
        overlay["Resources"][logical] = {"Properties": properties, "DependsOn": depends}
    api: dict[str, Any] = {"MethodSettings": method_settings()}
    if chalice_config()["stages"][stage].get("xray"):
        api["TracingEnabled"] = True  # Chalice's package sets Tracing: Active on the functions, not on the API
    overlay["Resources"]["RestAPI"] = {"Properties": api}
    return overlay


def _queue_resource(template: dict[str, Any], queue_name: str) -> tuple[str, str]:
    """The logical id of the queue an @app.on_sqs_message handler reads (named crm-<stage>-<suffix>)."""
    suffix = queue_name.split("-", 2)[-1] if queue_name.startswith("crm-") else queue_name
    for logical, resource in template["Resources"].items():
        name = (resource.get("Properties") or {}).get("QueueName")
        if resource["Type"] == "AWS::SQS::Queue" and name in (
            {"Fn::Sub": f"crm-${{Stage}}-{suffix}"},
            f"crm-${{Stage}}-{suffix}",
        ):
            return logical, suffix
    raise DeployError(f"no queue crm-<stage>-{suffix} in infra/template.yaml for an @app.on_sqs_message handler")


def _stream_failure(spec: dict[str, Any], resolve: Any) -> dict[str, Any]:
    stream = spec.get("stream")
    if not stream:
        return {}
    return {
        "DestinationConfig": {"OnFailure": {"Destination": resolve(f"${{{stream['on_failure']}}}")}},
        "MaximumRetryAttempts": stream["maximum_retry_attempts"],
        "BisectBatchOnFunctionError": stream["bisect_batch_on_function_error"],
        "MaximumRecordAgeInSeconds": stream["maximum_record_age_seconds"],
        **_response_types(stream),
    }


def _response_types(stream: dict[str, Any]) -> dict[str, Any]:
    """Partial batch responses are honoured only when the mapping says so."""
    return {"FunctionResponseTypes": ["ReportBatchItemFailures"]} if stream.get("report_batch_item_failures") else {}


@contextlib.contextmanager
def build_lock():
    """One build at a time in this checkout: build/<mode>-<stage> is rebuilt from scratch
    and Chalice's dependency cache (.chalice/deployments) is shared, so two packagings at
    once (two terminals, or parallel test workers) would delete each other's files."""
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def package(stage: str, out: Path) -> Path:
    """`make package`: one SAM template (+ deployment.zip) in ``out``; returns the template path."""
    with build_lock():
        return _package(stage, out)


def _package(stage: str, out: Path) -> Path:
    app = app_module()
    functions = iam.app_functions(app)
    spec = iam.load_functions()["functions"]
    checked_functions(spec, functions)
    template_outputs = load_template().get("Outputs", {})
    resolve = iam.reference_resolver(template_outputs)
    policies = {f: iam.policy_document(f, stage, spec[f], resolve) for f in functions}
    project = build_project(stage, "package", policies, None)
    overlay_file = project / "infra-overlay.json"
    overlay_file.write_text(json.dumps(package_overlay(stage, functions, spec), indent=2))
    out = out.resolve()
    if out.exists():
        shutil.rmtree(out)
    _chalice(
        project,
        ["package", "--stage", stage, "--merge-template", str(overlay_file), "--template-format", "yaml", str(out)],
        {"AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", DEFAULT_REGION)},
    )
    print(check_package_size(out / "deployment.zip"), flush=True)
    return out / "sam.yaml"


# --- make deploy ----------------------------------------------------------------------------


def apply_stack(session: Any, stack: str, arguments: dict[str, Any], *, protect: bool, delay: int = 10) -> dict:
    """Create or update a CloudFormation stack and wait for it; return its outputs."""
    cloudformation = session.client("cloudformation")
    stage_tags = [{"Key": "app", "Value": APP_NAME}]
    arguments = {"StackName": stack, "Tags": stage_tags, **arguments}
    try:
        cloudformation.describe_stacks(StackName=stack)
        exists = True
    except cloudformation.exceptions.ClientError:
        exists = False
    if exists:
        try:
            cloudformation.update_stack(**arguments)
            waiter = "stack_update_complete"
        except cloudformation.exceptions.ClientError as error:
            if "No updates are to be performed" not in str(error):
                raise
            waiter = None
    else:
        try:
            cloudformation.create_stack(**arguments, EnableTerminationProtection=protect)
        except cloudformation.exceptions.AlreadyExistsException:
            pass  # another deployer's first deploy created it a moment ago: wait for it like ours
        waiter = "stack_create_complete"
    if waiter:
        print(f"waiting for stack {stack} ...", flush=True)
        cloudformation.get_waiter(waiter).wait(StackName=stack, WaiterConfig={"Delay": delay, "MaxAttempts": 180})
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def deploy_infra(
    stage: str, functions: dict[str, Any], parameters: dict[str, str], session: Any, bucket: str
) -> dict[str, str]:
    """Create or update the infra stack from a copy of its template in the deployments bucket
    (it is over CloudFormation's 51,200-byte limit for an inline template); return its outputs."""
    body = json.dumps(infra_template(stage, functions), separators=(",", ":")).encode()
    key = f"templates/infra-{stage}-{hashlib.sha256(body).hexdigest()[:16]}.json"
    session.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    region = session.region_name
    arguments = {
        "TemplateURL": f"https://{bucket}.s3.{region}.amazonaws.com/{key}",
        "Parameters": [{"ParameterKey": "Stage", "ParameterValue": stage}]
        + [{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        "Tags": [{"Key": "app", "Value": APP_NAME}, {"Key": "stage", "Value": stage}],
    }
    return apply_stack(session, f"{APP_NAME}-{stage}-infra", arguments, protect=stage == "prod")


def configure_stream_failures(
    stage: str,
    functions_spec: dict[str, Any],
    outputs: dict[str, str],
    session: Any,
    queue_functions: tuple[str, ...] = (),
) -> None:
    """The `make deploy` path only: chalice deploy creates the event source mappings itself and
    cannot set a stream handler's retries, on-failure destination and partial batch responses,
    nor partial batch responses for queue handlers. Set them right after it, from the same
    settings the packaged template declares (``_stream_failure``, infra/functions.yaml)."""
    lambda_client = session.client("lambda")

    def resolve(text: str) -> str:
        return iam._PLACEHOLDER.sub(lambda match: outputs[match.group(1)], text)

    for function in queue_functions:
        name = iam.lambda_name(function, stage, APP_NAME)
        for mapping in lambda_client.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
            lambda_client.update_event_source_mapping(
                UUID=mapping["UUID"], FunctionResponseTypes=["ReportBatchItemFailures"]
            )
    for function, spec in functions_spec.items():
        if not spec.get("stream"):
            continue
        name = iam.lambda_name(function, stage, APP_NAME)
        for mapping in lambda_client.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
            lambda_client.update_event_source_mapping(UUID=mapping["UUID"], **_stream_failure(spec, resolve))


def enable_webhook_metrics(stage: str, session: Any) -> None:
    """The `make deploy` path only (the packaged template declares it as the API's MethodSettings):
    detailed metrics for POST /webhooks/{channel}, which the webhook latency alarm reads."""
    api_id = deployed_api_id(stage)
    if not api_id:
        raise DeployError(f".chalice/deployed/{stage}.json names no REST API after chalice deploy")
    operations = [
        {
            "op": "replace",
            "path": f"/{setting['ResourcePath']}/{setting['HttpMethod']}/metrics/enabled",
            "value": "true",
        }
        for setting in observability.method_settings()
    ]
    session.client("apigateway").update_stage(
        restApiId=api_id, stageName=observability.API_STAGE, patchOperations=operations
    )


def _deployed_rest_api(stage: str) -> dict[str, Any]:
    record = ROOT / ".chalice" / "deployed" / f"{stage}.json"
    if not record.exists():
        return {}
    for resource in json.loads(record.read_text()).get("resources", []):
        if resource.get("resource_type") == "rest_api":
            return resource
    return {}


def configure_api_stage(stage: str, outputs: dict[str, str], session: Any) -> None:
    """chalice deploy creates the stage without throttles: set STAGE_THROTTLES, and put the
    web ACL (when the infra stack made one, EnableWaf=true) in front of it."""
    api_id = deployed_api_id(stage)
    if api_id is None:
        raise DeployError(f".chalice/deployed/{stage}.json names no REST API: was chalice deploy run?")
    stage_name = chalice_config()["stages"][stage].get("api_gateway_stage", "api")
    session.client("apigateway").update_stage(
        restApiId=api_id, stageName=stage_name, patchOperations=throttle_patch_operations()
    )
    web_acl = outputs.get("ApiWebAclArn")
    if web_acl:
        region = session.region_name or DEFAULT_REGION
        session.client("wafv2").associate_web_acl(
            WebACLArn=web_acl, ResourceArn=f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage_name}"
        )


def deployed_api_url(stage: str) -> str | None:
    return _deployed_rest_api(stage).get("rest_api_url", "").rstrip("/") or None


def deployed_api_id(stage: str) -> str | None:
    return _deployed_rest_api(stage).get("rest_api_id")


def deploy(stage: str, parameters: dict[str, str], public_base_url: str | None, break_lock: bool = False) -> None:
    import boto3

    session = boto3.session.Session()
    region = session.region_name or DEFAULT_REGION
    session = boto3.session.Session(region_name=region)
    account = session.client("sts").get_caller_identity()["Account"]
    app = app_module()
    functions = iam.app_functions(app)
    spec = iam.load_functions()["functions"]
    checked_functions(spec, functions)

    print(f"1/4 deployments bucket (stack {deploy_state.stack_name(stage)}) in {region} (account {account})")
    bucket = deploy_state.ensure_bucket(session, stage, apply_stack)
    shared = deploy_state.SharedState(session.client("s3"), bucket, stage, ROOT / ".chalice" / "deployed")
    try:
        with shared.held(deploy_state.default_owner(session), break_lock=break_lock):
            _deploy_locked(stage, parameters, public_base_url, session, bucket, functions, spec)
    except deploy_state.DeployStateError as error:
        raise DeployError(str(error)) from None


def _deploy_locked(
    stage: str,
    parameters: dict[str, str],
    public_base_url: str | None,
    session: Any,
    bucket: str,
    functions: dict[str, Any],
    spec: dict[str, Any],
) -> None:
    region = session.region_name
    print(f"2/4 infra stack {APP_NAME}-{stage}-infra", flush=True)
    outputs = deploy_infra(stage, functions, parameters, session, bucket)

    account = session.client("sts").get_caller_identity()["Account"]
    resolve = iam.concrete_resolver(outputs, region, account)
    variables = {name: resolve(text) for name, text in environment_template().items()}
    policies = {f: iam.policy_document(f, stage, spec[f], resolve) for f in functions}
    base_url = public_base_url or deployed_api_url(stage)
    for attempt in (1, 2):
        if base_url:
            variables["PUBLIC_BASE_URL"] = base_url
        print(f"3/4 chalice deploy --stage {stage}", flush=True)
        with build_lock():
            project = build_project(stage, "deploy", policies, variables)
            _chalice(project, ["deploy", "--stage", stage], {"AWS_DEFAULT_REGION": region, **variables})
        deployed = deployed_api_url(stage)
        if base_url or not deployed or attempt == 2:
            break
        base_url = deployed  # first deploy: now the API's URL is known; set it and deploy again

    from chalice.app import SQSEventConfig

    print(
        "4/4 what chalice deploy cannot declare: stream retries and on-failure destination, partial batch "
        "responses, the webhook's detailed metrics, the API stage's throttles"
        + (" and the WAF web ACL" if outputs.get("ApiWebAclArn") else ""),
        flush=True,
    )
    queue_functions = tuple(f for f, source in functions.items() if isinstance(source, SQSEventConfig))
    configure_stream_failures(stage, {f: spec[f] for f in functions}, outputs, session, queue_functions)
    enable_webhook_metrics(stage, session)
    configure_api_stage(stage, outputs, session)
    print(f"\nDeployed {APP_NAME} stage {stage}: {deployed_api_url(stage)}/health")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    deploy_cmd = commands.add_parser("deploy", help="infra stack + chalice deploy (needs AWS credentials)")
    deploy_cmd.add_argument("--stage", required=True, choices=["dev", "prod"])
    deploy_cmd.add_argument("--alarm-email", default=os.environ.get("ALARM_EMAIL", ""))
    deploy_cmd.add_argument("--upload-origins", default=os.environ.get("PHOTO_UPLOAD_ORIGINS", ""))
    deploy_cmd.add_argument("--public-base-url", default=os.environ.get("PUBLIC_BASE_URL") or None)
    deploy_cmd.add_argument(
        "--waf",
        choices=["true", "false"],
        default=os.environ.get("ENABLE_WAF") or None,
        help="the WAF web ACL in front of the API (default: on in prod, off in dev)",
    )
    deploy_cmd.add_argument(
        "--break-lock",
        action="store_true",
        default=os.environ.get("BREAK_LOCK", "") not in ("", "0"),
        help="remove the stage's deploy lock left by a deploy that died (docs/operations.md)",
    )
    package_cmd = commands.add_parser("package", help="one template for pipelines (offline)")
    package_cmd.add_argument("--stage", required=True, choices=["dev", "prod"])
    package_cmd.add_argument("--out", type=Path, default=None)
    policy_cmd = commands.add_parser("policies", help="print each function's policy (with references)")
    policy_cmd.add_argument("--stage", required=True, choices=["dev", "prod"])
    args = parser.parse_args(argv)
    try:
        if args.command == "deploy":
            parameters = {"AlarmEmail": args.alarm_email, "EnableWaf": args.waf or waf_default(args.stage)}
            if args.upload_origins:
                parameters["PhotoUploadOrigins"] = args.upload_origins
            deploy(args.stage, parameters, args.public_base_url, break_lock=args.break_lock)
        elif args.command == "package":
            template = package(args.stage, args.out or BUILD / f"package-{args.stage}-out")
            print(f"packaged: {template} (and deployment.zip beside it)")
        else:
            spec = iam.load_functions()["functions"]
            resolve = iam.reference_resolver(load_template().get("Outputs", {}))
            for function in iam.app_functions(app_module()):
                print(
                    function, json.dumps(iam.policy_document(function, args.stage, spec[function], resolve), indent=2)
                )
    except DeployError as error:
        print(f"infra.deploy: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
