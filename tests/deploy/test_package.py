"""`make package` offline, for every stage: the one merged template that a
pipeline deploys passes cfn-lint, carries least-privilege policies that allow
every call the code makes, and wires the functions to the infra resources."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra import bytecode, deploy, iam, native
from infra.local.provision import load_template
from tests.support.lambda_events import health_event

ROOT = Path(__file__).resolve().parents[2]
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
SPEC = iam.load_functions()
EXCEPTIONS = iam.wildcard_exceptions(SPEC)


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
    result = cfn_lint(ROOT / "infra" / "deployments.yaml")  # the stack that holds the deployed state
    assert result.returncode & 2 == 0, f"deployments.yaml: cfn-lint errors:\n{result.stdout}{result.stderr}"


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
    data = {name for name in zipfile.ZipFile(zip_path).namelist() if name.startswith("chalicelib/data/")}
    assert "chalicelib/data/areas.packed.json" in data
    assert "chalicelib/data/areas.geojson" not in data  # its source, read by no function


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
for kind, mode in (("JPEG", "RGB"), ("PNG", "RGBA"), ("WEBP", "RGB")):  # what adapters/images.py accepts
    out = io.BytesIO()
    Image.new(mode, (8, 8), "red").save(out, kind)
    with Image.open(io.BytesIO(out.getvalue())) as image:
        assert (image.format, image.size) == (kind, (8, 8)), (kind, image.format)
        assert image.convert("RGB").getpixel((4, 4))[0] > 200, kind
pydantic.TypeAdapter(int).validate_python("7")
for module in (AES, Image, pydantic_core, phonenumbers):
    assert module.__file__.startswith({str(tmp_path)!r}), module.__file__
print("ok")
"""
    result = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


@pytest.mark.slow
def test_the_packaged_pillow_is_the_manylinux2014_wheel_and_loads_on_lambda(packaged, tmp_path):
    """Pillow from its manylinux2014 wheel (its own libraries, glibc <= 2.17), not a build from
    source linked against this machine's libjpeg and glibc; pruned of what we never use."""
    _, path, _ = packaged
    with zipfile.ZipFile(path.parent / "deployment.zip") as archive:
        archive.extractall(tmp_path)
    (wheel,) = tmp_path.glob("pillow-*.dist-info/WHEEL")
    tags = [line.split(": ", 1)[1] for line in wheel.read_text().splitlines() if line.startswith("Tag: ")]
    assert "cp311-cp311-manylinux2014_x86_64" in tags, tags
    assert (tmp_path / "pillow.libs").is_dir(), "a manylinux wheel bundles its libraries"
    assert native.problems(tmp_path) == []
    pruned = [p.relative_to(tmp_path).as_posix() for pattern in native.UNUSED for p in tmp_path.glob(pattern)]
    assert pruned == []
    for kept in ("_imaging", "_webp"):
        assert list((tmp_path / "PIL").glob(f"{kept}.*.so")), kept


def _pyc_header(data: bytes) -> tuple[bytes, int, bytes]:
    """(magic number, flags, source hash) of a pyc (PEP 552); flags 0b01: hash-based, unchecked."""
    return data[:4], int.from_bytes(data[4:8], "little"), data[8:16]


@pytest.mark.slow
def test_the_package_ships_unchecked_bytecode_for_every_module(packaged):
    """Our modules (and Chalice's runtime) keep their source plus an unchecked-hash pyc of that
    very source in __pycache__; the dependencies are sourceless, compiled for exactly the
    runtime the template names (a sourceless pyc loads only with the runtime's magic number)."""
    _, path, template = packaged
    runtimes = {r["Properties"].get("Runtime") for r in template["Resources"].values() if "Runtime" in r["Properties"]}
    assert runtimes == {f"python{sys.version_info.major}.{sys.version_info.minor}"}
    with zipfile.ZipFile(path.parent / "deployment.zip") as archive:
        files = {name: archive.read(name) for name in archive.namelist() if name.endswith((".py", ".pyc", ".pyi"))}
    sources = sorted(name for name in files if name.endswith(".py"))
    assert "app.py" in sources and "chalicelib/bootstrap.py" in sources and "chalice/app.py" in sources
    outside = [name for name in sources if name != "app.py" and name.split("/")[0] not in ("chalicelib", "chalice")]
    assert outside == [], "dependencies ship without source"
    for name in sources:
        cached = bytecode.cached_path(Path(name)).as_posix()
        assert cached in files, f"no bytecode for {name}"
        assert _pyc_header(files[cached]) == (
            importlib.util.MAGIC_NUMBER,
            0b01,
            importlib.util.source_hash(files[name]),
        )
    sourceless = [name for name in files if name.endswith(".pyc") and "__pycache__" not in name]
    assert {"typing_extensions.pyc", "pydantic/main.pyc", "phonenumbers/__init__.pyc", "Crypto/Cipher/AES.pyc"} <= set(
        sourceless
    )
    for name in sourceless:
        magic, flags, _ = _pyc_header(files[name])
        assert (magic, flags) == (importlib.util.MAGIC_NUMBER, 0b01), name
    assert len([name for name in files if name.endswith(".pyc")]) == len(sources) + len(sourceless)
    pruned = [name for name in files if name.endswith(".pyi") or name.startswith(("pydantic/v1/", "pydantic/mypy."))]
    assert pruned == []


# A fresh interpreter with the extracted package and the runtime's boto3 on its path, as on Lambda;
# it counts every module compiled from source under the package while it imports app, serves
# GET /health and loads what a partner webhook loads.
READ_ONLY_CHILD = """
import importlib._bootstrap_external as external, json, sys

package, runtime = sys.argv[1], sys.argv[2]
sys.path[:0] = [package, runtime]
sys.modules["cffi"] = None  # as on Lambda (no cffi in the package): PyCryptodome loads its C code with ctypes
compiled = []
source_to_code = external.SourceLoader.source_to_code


def counting_source_to_code(self, data, path, *args, **kwargs):
    if str(path).startswith(package + "/"):
        compiled.append(str(path)[len(package) + 1 :])
    return source_to_code(self, data, path, *args, **kwargs)


external.SourceLoader.source_to_code = counting_source_to_code

import app

event = json.loads(sys.argv[3])  # GET /health (tests/support/lambda_events.py)
response = app.app(event, None)

import chalicelib.adapters.sealing, chalicelib.bootstrap, chalicelib.channels.partner, chalicelib.services.intake
import phonenumbers
from Crypto.Cipher import AES

assert phonenumbers.is_valid_number(phonenumbers.parse("+62 812-3456-7890", None))  # loads the region's data
AES.new(bytes(32), AES.MODE_GCM, nonce=bytes(12)).encrypt_and_digest(b"contact")
from chalicelib.adapters import reference_data

monas = reference_data.areas().locate(-6.1754, 106.8272).kelurahan  # the packed boundaries, from the package
loaded = [m.__name__ for m in list(sys.modules.values()) if (getattr(m, "__file__", None) or "").startswith(package)]
print(json.dumps({"status": response["statusCode"], "compiled": compiled, "loaded": sorted(loaded), "monas": monas}))
"""

# What the Lambda runtime provides beside the package (boto3 and what it needs).
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")


def run_read_only(package: Path, tmp_path: Path) -> dict:
    """READ_ONLY_CHILD against ``package`` (an extracted deployment.zip), made read-only first."""
    import boto3

    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site_packages = Path(boto3.__file__).parents[1]
    for name in LAMBDA_RUNTIME_PACKAGES:
        if (site_packages / name).exists():
            (runtime / name).symlink_to(site_packages / name)
    for path in [package, *package.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o222)
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONPYCACHEPREFIX", "PYTHONHOME", "AWS_LAMBDA_FUNCTION_NAME")
    }
    environment.update({"PYTHONDONTWRITEBYTECODE": "1", "CRM_STAGE": "local"})
    try:
        result = subprocess.run(
            [sys.executable, "-S", "-c", READ_ONLY_CHILD, str(package), str(runtime), json.dumps(health_event())],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        for path in [package, *package.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o200)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_read_only_copy_of_the_package_compiles_nothing_it_imports(packaged, tmp_path):
    """/var/task is read-only on Lambda: without bytecode in the package, every cold start
    compiles each module it imports from source. From the package alone (made read-only), the
    app answers GET /health and loads what a partner webhook loads without compiling anything."""
    _, path, _ = packaged
    package = tmp_path / "task"
    zipfile.ZipFile(path.parent / "deployment.zip").extractall(package)
    seen = run_read_only(package, tmp_path)
    assert seen["status"] == 200
    assert seen["monas"] == "31.71.01.1001"  # Gambir
    for module in (
        "app",
        "chalicelib.services.intake",
        "chalicelib.adapters.packed_areas",
        "chalice.app",
        "pydantic.main",
        "phonenumbers",
        "Crypto.Cipher.AES",
    ):
        assert module in seen["loaded"], module
    assert len(seen["loaded"]) > 150, "the modules came from the package"
    assert seen["compiled"] == [], f"compiled from source on import: {seen['compiled']}"


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
    assert "APIHandlerErrorRateAlarm" in resources and "APIHandlerThrottlesAlarm" in resources
    assert "RelayCaseEventsErrorRateAlarm" in resources and "RelayCaseEventsIteratorAgeAlarm" in resources
    for logical in ("APIHandler", "RelayCaseEvents"):
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


@pytest.mark.slow
def test_every_function_and_the_api_stage_trace_actively(packaged):
    _, _, template = packaged
    functions = {n: r for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert len(functions) == len(SPEC["functions"])
    for name, resource in functions.items():
        assert resource["Properties"]["Tracing"] == "Active", name
    api = template["Resources"]["RestAPI"]["Properties"]
    assert api["TracingEnabled"] is True
    webhook = [s for s in api["MethodSettings"] if s["ResourcePath"] == "/~1webhooks~1{channel}"]
    assert webhook[0]["MetricsEnabled"] is True and webhook[0]["HttpMethod"] == "POST"  # the latency alarm's metric


@pytest.mark.slow
def test_the_package_has_the_dashboard_and_the_alarms_of_the_infra_stack(packaged):
    import app

    stage, _, template = packaged
    resources = template["Resources"]
    assert resources["Dashboard"]["Type"] == "AWS::CloudWatch::Dashboard"
    infra = deploy.infra_template(stage, iam.app_functions(app))["Resources"]
    alarms = {name for name, resource in infra.items() if resource["Type"] == "AWS::CloudWatch::Alarm"}
    assert alarms <= set(resources)


@pytest.mark.slow
def test_the_stream_retry_settings_are_declared_in_the_package(packaged):
    """The pipeline path declares every setting `make deploy` has to apply after chalice deploy."""
    _, _, template = packaged
    (event,) = template["Resources"]["RelayCaseEvents"]["Properties"]["Events"].values()
    stream = SPEC["functions"]["relay_case_events"]["stream"]
    properties = event["Properties"]
    assert properties["MaximumRetryAttempts"] == stream["maximum_retry_attempts"]
    assert properties["BisectBatchOnFunctionError"] is stream["bisect_batch_on_function_error"]
    assert properties["MaximumRecordAgeInSeconds"] == stream["maximum_record_age_seconds"]
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "RelayDeadLetterQueue" in json.dumps(properties["DestinationConfig"])
