"""What `make deploy` shares between everyone who deploys a stage: Chalice's deployed state and a lock.

``chalice deploy`` remembers what it created (the REST API's id, the functions, the
roles) in ``.chalice/deployed/<stage>.json`` of the checkout it ran in. Without that
file the next deploy creates a *second* API. So `make deploy` keeps it in the stage's
deployments bucket (stack ``crm-<stage>-deployments``, infra/deployments.yaml):

    take the lock -> pull chalice/deployed/<stage>.json -> deploy -> push it if it changed -> release

The lock is ``locks/<stage>.json``, written with S3's conditional put (``If-None-Match:
*``): of two deployers exactly one creates it; the other stops at once, told who holds
it and since when. It is released by a conditional delete (``If-Match`` its ETag), so a
deployer whose lock was broken never deletes the next one's. A lock left by a deploy
that died is removed with ``--break-lock`` (docs/operations.md "Deploy state and the lock").
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BOOTSTRAP_TEMPLATE = ROOT / "infra" / "deployments.yaml"
STALE_AFTER_SECONDS = 2 * 3600  # a deploy takes minutes; a lock this old is very likely left over


class DeployStateError(RuntimeError):
    pass


class LockHeld(DeployStateError):
    pass


def stack_name(stage: str) -> str:
    return f"crm-{stage}-deployments"


def state_key(stage: str) -> str:
    return f"chalice/deployed/{stage}.json"


def lock_key(stage: str) -> str:
    return f"locks/{stage}.json"


def _error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def _status(error: Exception) -> int:
    return int(getattr(error, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _missing(error: Exception) -> bool:
    return _error_code(error) in ("NoSuchKey", "404", "NotFound") or _status(error) == 404


def _lost_race(error: Exception) -> bool:
    """The conditional write found the object (412), or raced another conditional write (409)."""
    return _error_code(error) in ("PreconditionFailed", "ConditionalRequestConflict") or _status(error) in (409, 412)


def ensure_bucket(session: Any, stage: str, apply_stack: Callable[..., dict[str, str]]) -> str:
    """Create (or update) the stack ``crm-<stage>-deployments``; return its bucket's name."""
    outputs = apply_stack(
        session,
        stack_name(stage),
        {
            "TemplateBody": BOOTSTRAP_TEMPLATE.read_text(),
            "Parameters": [{"ParameterKey": "Stage", "ParameterValue": stage}],
        },
        protect=stage == "prod",
    )
    return outputs["DeploymentsBucketName"]


@dataclass(frozen=True)
class Lock:
    owner: str
    started: float
    etag: str

    def age(self, now: float) -> str:
        seconds = max(0, int(now - self.started))
        hours, rest = divmod(seconds, 3600)
        return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"


def default_owner(session: Any) -> str:
    try:
        who = session.client("sts").get_caller_identity()["Arn"]
    except Exception:  # noqa: BLE001 - the name is for people; the lock works without it
        who = getpass.getuser()
    return f"{who} on {socket.gethostname()} (pid {os.getpid()})"


class SharedState:
    """The deploy lock and the deployed state of one stage in its deployments bucket."""

    def __init__(self, s3: Any, bucket: str, stage: str, deployed_dir: Path, clock: Callable[[], float] = time.time):
        self.s3, self.bucket, self.stage, self.deployed_dir, self.clock = s3, bucket, stage, deployed_dir, clock
        self.pulled: str | None = None  # sha256 of the shared state pulled, None if there was none

    @property
    def local_file(self) -> Path:
        return self.deployed_dir / f"{self.stage}.json"

    # --- the lock -----------------------------------------------------------------------------

    def holder(self) -> Lock | None:
        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=lock_key(self.stage))
        except Exception as error:
            if _missing(error):
                return None
            raise
        record = json.loads(found["Body"].read())
        return Lock(record["owner"], float(record["started"]), found["ETag"])

    def acquire(self, owner: str) -> Lock:
        started = self.clock()
        body = json.dumps({"owner": owner, "started": started, "stage": self.stage}).encode()
        for _ in range(3):
            try:
                put = self.s3.put_object(
                    Bucket=self.bucket,
                    Key=lock_key(self.stage),
                    Body=body,
                    IfNoneMatch="*",
                    ContentType="application/json",
                )
                return Lock(owner, started, put["ETag"])
            except Exception as error:
                if not _lost_race(error):
                    raise
            held = self.holder()
            if held is not None:
                raise LockHeld(self._held_message(held))
            # released between our write and our read: try again
        raise LockHeld(f"could not take the deploy lock of stage {self.stage} (it keeps changing hands)")

    def _held_message(self, held: Lock) -> str:
        now = self.clock()
        since = datetime.fromtimestamp(held.started, UTC).strftime("%Y-%m-%d %H:%M UTC")
        stale = " It looks stale (older than a deploy takes)." if now - held.started > STALE_AFTER_SECONDS else ""
        return (
            f"stage {self.stage} is being deployed by {held.owner}, since {since} ({held.age(now)} ago).{stale} "
            f"Wait for that deploy to finish. If it died, make sure it is not running, then run again with "
            f"--break-lock (lock: s3://{self.bucket}/{lock_key(self.stage)})"
        )

    def break_lock(self) -> Lock | None:
        """Remove whoever's lock is there now (only that one: If-Match its ETag); returns it."""
        held = self.holder()
        if held is None:
            return None
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=lock_key(self.stage), IfMatch=held.etag)
        except Exception as error:
            if not _lost_race(error):
                raise
            raise LockHeld(f"the lock of stage {self.stage} changed while breaking it; look again") from None
        return held

    def release(self, lock: Lock) -> bool:
        """Delete our lock only (If-Match); False if someone broke it meanwhile."""
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=lock_key(self.stage), IfMatch=lock.etag)
        except Exception as error:
            if _lost_race(error) or _missing(error):
                return False
            raise
        return True

    # --- the deployed state ---------------------------------------------------------------------

    def pull(self) -> str:
        """Put the shared state into the checkout; returns what happened, for the deploy's output."""
        self.pulled = None
        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=state_key(self.stage))
        except Exception as error:
            if not _missing(error):
                raise
            if self.local_file.exists():
                return (
                    f"no shared deployed state yet: this checkout's {self.local_file.name} is shared after the deploy"
                )
            return "no deployed state anywhere: a first deploy"
        self.deployed_dir.mkdir(parents=True, exist_ok=True)
        data = found["Body"].read()
        json.loads(data)  # refuse to hand Chalice a damaged record
        replaced = self.local_file.exists() and self.local_file.read_bytes() != data
        self.local_file.write_bytes(data)
        self.pulled = hashlib.sha256(data).hexdigest()
        note = " (replacing this checkout's older copy)" if replaced else ""
        return f"deployed state from s3://{self.bucket}/{state_key(self.stage)}{note}"

    def push(self) -> bool:
        """Share the checkout's state if it differs from what was pulled; True if uploaded."""
        if not self.local_file.exists():
            return False
        data = self.local_file.read_bytes()
        if hashlib.sha256(data).hexdigest() == self.pulled:
            return False
        json.loads(data)
        self.s3.put_object(Bucket=self.bucket, Key=state_key(self.stage), Body=data, ContentType="application/json")
        return True

    @contextlib.contextmanager
    def held(self, owner: str, *, break_lock: bool = False, say: Callable[[str], None] = print) -> Iterator[None]:
        """Lock, pull, run the deploy, push what changed (also after a failure), release."""
        if break_lock:
            broken = self.break_lock()
            if broken:
                say(f"broke the deploy lock of {broken.owner} (taken {broken.age(self.clock())} ago)")
        lock = self.acquire(owner)
        try:
            say(self.pull())
            try:
                yield
            finally:
                if self.push():
                    say(f"deployed state shared: s3://{self.bucket}/{state_key(self.stage)}")
        finally:
            if not self.release(lock):
                say(f"warning: the deploy lock of stage {self.stage} was broken during this deploy")
