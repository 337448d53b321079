"""PyCryptodome's first native library loads without a child process (adapters/pycryptodome.py).

Each case runs in a fresh interpreter without cffi, as in the Lambda package, so
PyCryptodome takes its ctypes path and nothing earlier in the test run has loaded it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, subprocess, sys
sys.modules["cffi"] = None
started = []
original = subprocess.Popen.__init__
def recording(self, args, *rest, **options):
    started.append(args if isinstance(args, str) else list(map(str, args)))
    original(self, args, *rest, **options)
subprocess.Popen.__init__ = recording
if sys.argv[1] == "control":
    from Crypto.Cipher import AES  # PyCryptodome's first library, before sealing can prepare it
from chalicelib.adapters import sealing
key, nonce = bytes(range(32)), bytes(12)
sealed = sealing.gcm_seal(key, nonce, b"0812-3456-7890", b"context")
opened = sealing.gcm_open(key, nonce, sealed, b"context")
print(json.dumps({"started": started, "round_trip": opened == b"0812-3456-7890"}))
"""


def _child(mode: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_sealing_starts_no_child_process():
    outcome = _child("sealing")  # gcm_seal prepares PyCryptodome itself
    assert outcome == {"started": [], "round_trip": True}


def test_without_prepare_pycryptodome_would_run_file():
    """The control: what prepare() saves. PyCryptodome's own first library asks
    platform.architecture(), which runs `file` on the interpreter."""
    outcome = _child("control")
    assert outcome["round_trip"] is True
    assert any(command[0] == "file" for command in outcome["started"]), outcome["started"]
