"""`make deploy`'s shared state and lock (infra/deploy_state.py), against the moto server
over HTTP: a fresh clone finds the API an earlier deploy created and updates it instead
of creating a second one; two deployers never run at once; a dead deploy's lock is
broken only on request."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import boto3
import pytest

from infra import deploy, deploy_state
from infra.local import devstack
from infra.local.provision import DEFAULT_REGION, LOCAL_CREDENTIALS, load_template

ROOT = Path(__file__).resolve().parents[2]
STAGE = "dev"
T0 = 1_780_000_000.0


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    port = devstack.free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "infra.local.aws_server", "--port", str(port)], cwd=ROOT, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        devstack._wait_for_http(f"{url}/moto-api/", server, "the moto server")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture
def aws_env(endpoint, monkeypatch):
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return env


@pytest.fixture
def session(aws_env):
    return boto3.session.Session(region_name=DEFAULT_REGION)


@pytest.fixture
def bucket(session):
    """The stage's deployments bucket, made as `make deploy` makes it (its own stack)."""
    name = deploy_state.ensure_bucket(session, STAGE, deploy.apply_stack)
    s3 = session.client("s3")
    for key in (deploy_state.lock_key(STAGE), deploy_state.state_key(STAGE)):
        s3.delete_object(Bucket=name, Key=key)  # each test starts with no lock and no state
    return name


class Clock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def checkout(session, bucket, tmp_path, name, clock=None) -> deploy_state.SharedState:
    """One deployer's clone: its own .chalice/deployed directory."""
    return deploy_state.SharedState(
        session.client("s3"), bucket, STAGE, tmp_path / name / ".chalice" / "deployed", clock or Clock()
    )


def test_the_deployments_bucket_is_its_own_stack(session, bucket):
    assert bucket == f"crm-{STAGE}-deployments-123456789012-{DEFAULT_REGION}"
    assert deploy_state.ensure_bucket(session, STAGE, deploy.apply_stack) == bucket  # a second deploy: same
    (stack,) = session.client("cloudformation").describe_stacks(StackName=f"crm-{STAGE}-deployments")["Stacks"]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")


def test_the_deployments_bucket_is_private_versioned_and_kept():
    """What moto's CloudFormation does not apply, read from the template (cfn-lint checks it too)."""
    resources = load_template(deploy_state.BOOTSTRAP_TEMPLATE)["Resources"]
    bucket = resources["DeploymentsBucket"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    properties = bucket["Properties"]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}, "every earlier state stays restorable"
    block = properties["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    (deny,) = resources["DeploymentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# --- a fresh clone, and Chalice's own plan ---------------------------------------------------------

APP = """
from chalice import Chalice

app = Chalice(app_name="crm")


@app.route("/health")
def health():
    return {"status": "ok"}
"""


def chalice_project(directory: Path) -> Path:
    """A clone of a (tiny) Chalice project: no .chalice/deployed, as after `git clone`."""
    (directory / ".chalice").mkdir(parents=True)
    (directory / "app.py").write_text(APP)
    (directory / "requirements.txt").write_text("")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["logs:*"], "Resource": "*"}]}
    (directory / ".chalice" / "policy.json").write_text(json.dumps(policy))
    config = {
        "version": "2.0",
        "app_name": "crm",
        "stages": {
            STAGE: {
                "api_gateway_stage": "api",
                "autogen_policy": False,
                "iam_policy_file": "policy.json",
            }
        },
    }
    (directory / ".chalice" / "config.json").write_text(json.dumps(config))
    return directory


def chalice_plan(project: Path, aws_env: dict[str, str]) -> str:
    """What `chalice deploy` would do from this checkout, asked of Chalice itself (its planner
    looks the recorded API up in AWS), without doing it."""
    executable = Path(sys.executable).parent / "chalice"
    result = subprocess.run(
        [str(executable), "--project-dir", str(project), "dev", "plan", "--stage", STAGE],
        capture_output=True,
        text=True,
        timeout=300,
        env={**aws_env, "PATH": str(Path(sys.executable).parent), "HOME": str(project)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def recorded_deploy(api_id: str) -> dict:
    """.chalice/deployed/<stage>.json as `chalice deploy` writes it (the REST API part)."""
    return {
        "resources": [
            {
                "name": "rest_api",
                "resource_type": "rest_api",
                "rest_api_id": api_id,
                "rest_api_url": f"https://{api_id}.execute-api.{DEFAULT_REGION}.amazonaws.com/api/",
            }
        ],
        "schema_version": "2.0",
        "backend": "api",
    }


@pytest.mark.slow
def test_a_deploy_from_a_fresh_clone_updates_the_existing_api(session, bucket, aws_env, tmp_path):
    api_id = session.client("apigateway").create_rest_api(name="crm")["id"]  # what the first deploy created
    first = checkout(session, bucket, tmp_path, "laptop-a")
    with first.held("ops-a"):  # the first deploy records it...
        first.local_file.parent.mkdir(parents=True)
        first.local_file.write_text(json.dumps(recorded_deploy(api_id)))
    # ...and is shared: another machine, a fresh clone
    project = chalice_project(tmp_path / "laptop-b")
    fresh = deploy_state.SharedState(session.client("s3"), bucket, STAGE, project / ".chalice" / "deployed")
    with fresh.held("ops-b"):
        plan = chalice_plan(project, aws_env)
    # Chalice takes the API's id from the pulled record and updates that API in place
    assert re.search(rf"name: rest_api_id\s*\n\s*│\s*value: {api_id}\s", plan), plan[:4000]
    assert "method_name: update_api_from_swagger" in plan
    assert "import_rest_api" not in plan, "a second API would be created"

    # The same clone without the shared state is what happened before: a second API.
    alone = chalice_project(tmp_path / "laptop-c")
    assert "method_name: import_rest_api" in chalice_plan(alone, aws_env)


def test_the_state_is_pushed_only_when_the_deploy_changed_it(session, bucket, tmp_path):
    s3 = session.client("s3")
    first = checkout(session, bucket, tmp_path, "a")
    with first.held("ops-a"):
        first.local_file.parent.mkdir(parents=True)
        first.local_file.write_text(json.dumps(recorded_deploy("abc123")))
    version = s3.head_object(Bucket=bucket, Key=deploy_state.state_key(STAGE))["ETag"]
    second = checkout(session, bucket, tmp_path, "b")
    with second.held("ops-b"):
        assert json.loads(second.local_file.read_text()) == recorded_deploy("abc123")  # pulled
    assert s3.head_object(Bucket=bucket, Key=deploy_state.state_key(STAGE))["ETag"] == version  # unchanged


def test_a_failed_deploy_still_releases_the_lock(session, bucket, tmp_path):
    state = checkout(session, bucket, tmp_path, "a")
    with pytest.raises(RuntimeError, match="chalice deploy failed"), state.held("ops-a"):
        raise RuntimeError("chalice deploy failed")
    assert state.holder() is None


# --- the lock -------------------------------------------------------------------------------------


def test_a_second_deployer_stops_at_once_naming_the_holder_and_its_age(session, bucket, tmp_path):
    clock = Clock()
    first = checkout(session, bucket, tmp_path, "a", clock)
    second = checkout(session, bucket, tmp_path, "b", clock)
    ran = []
    with first.held("arn:aws:iam::123456789012:user/siti on laptop-a (pid 41)"):
        clock.now += 7 * 60
        with pytest.raises(deploy_state.LockHeld) as held, second.held("budi"):
            ran.append("second deploy")
    message = str(held.value)
    assert "arn:aws:iam::123456789012:user/siti on laptop-a (pid 41)" in message
    assert "since 2026-05-28 20:26 UTC (7 min 0 s ago)" in message
    assert "--break-lock" in message and "stale" not in message
    assert ran == [] and not second.local_file.exists(), "the second deploy did nothing"
    assert first.holder() is None, "released after the first deploy"


def test_of_deployers_racing_for_the_lock_exactly_one_wins(session, bucket, tmp_path):
    racers = [checkout(session, bucket, tmp_path, f"r{i}") for i in range(4)]
    start = threading.Barrier(len(racers))
    won, lost = [], []

    def race(state, name):
        start.wait()
        try:
            won.append((name, state.acquire(name)))
        except deploy_state.LockHeld as error:
            lost.append(str(error))

    threads = [threading.Thread(target=race, args=(state, f"racer-{i}")) for i, state in enumerate(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(won) == 1 and len(lost) == 3
    winner, lock = won[0]
    assert all(winner in message for message in lost)
    assert racers[0].release(lock)


def test_a_dead_deploys_lock_is_broken_only_on_request(session, bucket, tmp_path):
    clock = Clock()
    dead = checkout(session, bucket, tmp_path, "dead", clock)
    lock = dead.acquire("ops on a laptop that lost power")  # and never released
    clock.now += 3 * 3600
    later = checkout(session, bucket, tmp_path, "later", clock)
    with pytest.raises(deploy_state.LockHeld, match=r"\(3 h 0 min ago\)\. It looks stale"):
        with later.held("ops-b"):
            pass
    said = []
    with later.held("ops-b", break_lock=True, say=said.append):
        assert later.holder().owner == "ops-b"
        assert dead.release(lock) is False, "the dead deploy, if it woke up, must not delete the new lock"
        assert later.holder().owner == "ops-b"
    assert said[0] == "broke the deploy lock of ops on a laptop that lost power (taken 3 h 0 min ago)"
    assert later.holder() is None
