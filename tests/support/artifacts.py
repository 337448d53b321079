"""Where tests leave what a person may want to look at after a run (test-artifacts/)."""

from __future__ import annotations

import os
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def artifact(name: str) -> Path:
    """test-artifacts/<name>; with parallel workers (pytest-xdist) each worker's file carries
    its id (integration-stack-gw0.log), so two workers never write one file."""
    ARTIFACTS.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    path = Path(name)
    return ARTIFACTS / (f"{path.stem}-{worker}{path.suffix}" if worker else name)
