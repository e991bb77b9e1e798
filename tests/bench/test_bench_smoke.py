"""`python -m bench --smoke` runs every benchmark at a tiny size and prints its table (no timing is asserted)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The first line each bench prints: the smoke run ran all of them.
HEADINGS = (
    "step overhead",
    "context compile / overview",
    "ADE page server time",
    "provider traces",
    "chat event latency",
    "custom tool call",
    "stream followers of one run",
    "idle memory of one web process",
    "concurrent sends",
    "concurrent sends across 2 web processes on PostgreSQL + Redis",
)


def test_the_smoke_run_prints_every_bench_and_exits_0(request):
    if request.config.getoption("postgres"):
        pytest.skip("the smoke run benches the embedded SQLite database; the PostgreSQL leg runs the same code")
    # The bench makes its own throwaway database: nothing may point it at the test database.
    env = {key: value for key, value in os.environ.items() if key not in ("LETTA_SQLITE_PATH", "DATABASE_URL")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for heading in HEADINGS:
        assert heading in done.stdout
    assert "failed requests: none" in done.stdout
    assert done.stdout.rstrip().endswith("bench: done")
