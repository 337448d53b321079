"""`make package` offline, for every stage: the one merged template that a
pipeline deploys passes cfn-lint, carries least-privilege policies that allow
every call the code makes, and wires the functions to the infra resources."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra import deploy, iam
from infra.local.provision import load_template

ROOT = Path(__file__).resolve().parents[2]
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
SPEC = iam.load_functions()
EXCEPTIONS = {(e["function"], e["action"]) for e in SPEC.get("wildcard_exceptions") or []}


def cfn_lint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CFN_LINT), "--regions", "ap-southeast-3", "--format", "parseable", "--", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module", params=["dev", "prod"])
def packaged(request, tmp_path_factory):
    stage = request.param
    template_path = deploy.package(stage, tmp_path_factory.mktemp(f"package-{stage}"))
    return stage, template_path, load_template(template_path)


@pytest.mark.slow
def test_the_packaged_template_passes_cfn_lint(packaged):
    _, path, _ = packaged
    result = cfn_lint(path)
    assert result.returncode & 2 == 0, f"cfn-lint errors:\n{result.stdout}{result.stderr}"
    assert (path.parent / "deployment.zip").stat().st_size > 0


@pytest.mark.slow
def test_the_infra_stack_make_deploy_creates_passes_cfn_lint(tmp_path):
    import app

    for stage in ("dev", "prod"):
        path = tmp_path / f"infra-{stage}.json"
        path.write_text(json.dumps(deploy.infra_template(stage, iam.app_functions(app))))
        result = cfn_lint(path)
        assert result.returncode & 2 == 0, f"{stage}: cfn-lint errors:\n{result.stdout}{result.stderr}"


@pytest.mark.slow
def test_the_lambda_package_is_lean(packaged):
    """One deployment.zip is loaded by every function: at most 25 MB unzipped, without
    the twilio package's HTTP clients or the cryptography package (docs/scaling.md)."""
    _, path, _ = packaged
    zip_path = path.parent / "deployment.zip"
    zipped, unzipped = deploy.package_size(zip_path)
    assert 0 < zipped < unzipped <= deploy.PACKAGE_LIMIT_BYTES, f"{unzipped / 1e6:.1f} MB unzipped"
    assert deploy.check_package_size(zip_path).startswith("deployment.zip: ")
    top_level = {name.split("/")[0] for name in zipfile.ZipFile(zip_path).namelist()}
    assert {"app.py", "chalicelib", "pydantic_core", "PIL", "Crypto", "jwt", "phonenumbers"} <= top_level
    assert not top_level & {"twilio", "aiohttp", "requests", "cryptography", "cffi"}, top_level


@pytest.mark.slow
def test_the_packaged_native_libraries_load_after_stripping(packaged, tmp_path):
    """The dependencies' shared libraries are stripped of debug symbols: they still load and work,
    from the package alone (-S: no site-packages of this machine; no cffi, as on Lambda)."""
    _, path, _ = packaged
    zipfile.ZipFile(path.parent / "deployment.zip").extractall(tmp_path)
    script = f"""
import io, sys
sys.path.insert(0, {str(tmp_path)!r})
from Crypto.Cipher import AES
from PIL import Image
import phonenumbers, pydantic, pydantic_core
sealed, tag = AES.new(bytes(32), AES.MODE_GCM, nonce=bytes(12)).encrypt_and_digest(b"contact")
assert AES.new(bytes(32), AES.MODE_GCM, nonce=bytes(12)).decrypt_and_verify(sealed, tag) == b"contact"
out = io.BytesIO()
Image.new("RGB", (8, 8), "red").save(out, "JPEG")
assert Image.open(io.BytesIO(out.getvalue())).size == (8, 8)
pydantic.TypeAdapter(int).validate_python("7")
for module in (AES, Image, pydantic_core, phonenumbers):
    assert module.__file__.startswith({str(tmp_path)!r}), module.__file__
print("ok")
"""
    result = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_a_package_over_the_limit_fails_with_a_clear_message(tmp_path):
    zip_path = tmp_path / "deployment.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.bin", bytes(3000))
    assert deploy.check_package_size(zip_path, limit=3000) == (
        f"deployment.zip: {zip_path.stat().st_size / 1e6:.1f} MB zipped, 0.0 MB unzipped (limit 0.003 MB)"
    )
    with pytest.raises(deploy.DeployError, match=r"0\.0 MB unzipped \(limit 0\.002 MB\): the package is too large"):
        deploy.check_package_size(zip_path, limit=2000)


def test_stripped_native_libraries_are_smaller_and_still_work(tmp_path):
    import shutil

    import Crypto

    if shutil.which("strip") is None:
        pytest.skip("no strip (binutils) on this machine")
    package = tmp_path / "Crypto"
    shutil.copytree(Path(Crypto.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__", "SelfTest"))
    libraries = sorted(package.rglob("*.so"))
    before = sum(library.stat().st_size for library in libraries)
    source = (package / "Cipher" / "AES.py").read_bytes()
    deploy.strip_native_libraries(tmp_path)
    assert sum(library.stat().st_size for library in libraries) < before
    assert (package / "Cipher" / "AES.py").read_bytes() == source  # only shared libraries are touched
    script = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); from Crypto.Cipher import AES; "
        f"assert AES.__file__.startswith({str(tmp_path)!r}); "
        "assert AES.new(bytes(16), AES.MODE_ECB).encrypt(bytes(16)).hex() == '66e94bd4ef8a2c3b884cfa59ca342b2e'"
    )
    result = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def _role_policies(template: dict, function: str) -> list[dict]:
    function_resource = template["Resources"][deploy.function_logical_id(function)]
    role = function_resource["Properties"]["Role"]["Fn::GetAtt"][0]
    return [p["PolicyDocument"] for p in template["Resources"][role]["Properties"]["Policies"]]


@pytest.mark.slow
def test_no_wildcard_iam_beyond_the_documented_exceptions(packaged):
    _, _, template = packaged
    roles = {
        resource["Properties"]["Role"]["Fn::GetAtt"][0]: name
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    functions = {deploy.function_logical_id(f): f for f in SPEC["functions"]}
    offending = []
    for role, item, kind in iam.wildcards(template):
        function = functions.get(roles.get(role, ""), role)
        action = item.split(" on ")[0]
        if (function, action) not in EXCEPTIONS:
            offending.append(f"{role}: {kind} {item}")
    assert not offending, "wildcards in IAM (not in infra/functions.yaml wildcard_exceptions):\n  " + "\n  ".join(
        offending
    )


@pytest.mark.slow
def test_each_function_role_in_the_package_allows_every_call_its_code_makes(packaged):
    _, _, template = packaged
    calls = iam.aws_calls()
    problems = []
    for function, spec in SPEC["functions"].items():
        allowed = [
            action
            for document in _role_policies(template, function)
            for statement in document["Statement"]
            for action in iam._as_list(statement["Action"])
        ]
        for call in calls:
            if call.module in spec.get("uses", []):
                problems += [
                    f"{function}: {call.where()} needs {a}" for a in call.actions if not iam.action_allowed(a, allowed)
                ]
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_functions_are_wired_to_the_infra_resources(packaged):
    stage, _, template = packaged
    resources = template["Resources"]
    for name in load_template()["Resources"]:
        assert name in resources, f"infra resource {name} missing from the merged template"
    api = resources["APIHandler"]["Properties"]
    assert api["FunctionName"] == f"crm-{stage}"
    assert api["MemorySize"] == 256
    variables = api["Environment"]["Variables"]
    assert variables["CRM_STAGE"] == stage
    for name in deploy.environment_template():
        assert isinstance(variables[name], dict), f"{name} should refer to the stack, got {variables[name]!r}"
    relay_events = resources["RelayCaseEvents"]["Properties"]["Events"]
    (event,) = relay_events.values()
    assert event["Properties"]["Stream"] == {"Fn::GetAtt": ["CasesTable", "StreamArn"]}
    assert "RelayDeadLetterQueue" in json.dumps(event["Properties"]["DestinationConfig"])
    assert event["Properties"]["MaximumRetryAttempts"] >= 1
    for function, queue in (
        ("SendReplies", "RepliesQueue"),
        ("FetchLinkedMedia", "MediaQueue"),
        ("ReceiveEmail", "InboundEmailQueue"),
    ):
        (event,) = resources[function]["Properties"]["Events"].values()
        assert event["Type"] == "SQS" and queue in resources[function]["DependsOn"]
        name = resources[queue]["Properties"]["QueueName"]["Fn::Sub"]
        assert event["Properties"]["Queue"]["Fn::Sub"].endswith(f":{name}")
    for logical in ("APIHandler", "RelayCaseEvents"):
        assert f"{logical}ErrorsAlarm" in resources and f"{logical}ThrottlesAlarm" in resources
        assert resources[f"{logical}LogGroup"]["Properties"]["RetentionInDays"] == deploy.LOG_RETENTION_DAYS


def test_the_environment_comes_from_the_same_mapping_as_make_run():
    variables = deploy.environment_template()
    assert variables["CASES_TABLE"] == "${CasesTableName}"
    assert variables["EVENTS_TOPIC_ARN"] == "${CaseEventsTopicArn}"
    assert variables["SECRETS_SSM_PREFIX"] == "${SecretsParameterPath}"
    assert not set(variables) & deploy.LOCAL_ONLY_VARIABLES
    outputs = load_template()["Outputs"]
    for text in variables.values():
        for name in iam._PLACEHOLDER.findall(text):
            assert name in outputs, f"app_environment reads output {name}, which infra/template.yaml lacks"


def test_prod_protects_its_data():
    template = load_template()
    resources = template["Resources"]
    for name in ("CasesTable", "PhotosBucket", "OfficerUserPool", "TrackingCodeKeySecret"):
        assert resources[name]["DeletionPolicy"] == "Retain", name
    assert resources["CasesTable"]["Properties"]["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}
    assert resources["OfficerUserPool"]["Properties"]["DeletionProtection"]["Fn::If"][1] == "ACTIVE"


@pytest.mark.slow
def test_queue_workers_report_partial_batch_failures(packaged):
    """Every SQS-fed function answers with batchItemFailures; without ReportBatchItemFailures
    Lambda would treat a partly failed batch as done and the failed messages would be lost."""
    _, _, template = packaged
    sqs_events = [
        (name, event)
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
        if event.get("Type") == "SQS"
    ]
    assert {name for name, _ in sqs_events} >= {"CaseFollowups", "AgencyMetrics", "OfficerNotifications"}
    for name, event in sqs_events:
        assert event["Properties"].get("FunctionResponseTypes") == ["ReportBatchItemFailures"], name


@pytest.mark.slow
def test_the_packaged_template_has_stage_throttles_and_the_waf_rule_when_enabled(packaged):
    """What `make package` hands a pipeline: the Chalice stage (RestAPI) with its throttles,
    and the web ACL and its association behind EnableWaf (on by default in prod)."""
    stage, _, template = packaged
    api = template["Resources"]["RestAPI"]
    assert api["Type"] == "AWS::Serverless::Api"
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in api["Properties"]["MethodSettings"]}
    assert settings[("/*", "*")]["ThrottlingRateLimit"] == 100
    assert settings[("/~1status~1{tracking_code}", "GET")]["ThrottlingBurstLimit"] == 40
    assert template["Parameters"]["EnableWaf"]["Default"] == ("true" if stage == "prod" else "false")
    acl, association = template["Resources"]["ApiWebAcl"], template["Resources"]["ApiWebAclAssociation"]
    assert acl["Condition"] == association["Condition"] == "WafEnabled"
    assert any("RateBasedStatement" in rule["Statement"] for rule in acl["Properties"]["Rules"])
