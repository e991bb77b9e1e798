"""letta-evals (PyPI) runs its quick-start suite (its README's, adapted to this server and the fake model) through
Letta Code against this server, end to end: dataset -> Letta Code agent -> extractor -> grader -> score."""

import json
import os
import subprocess

import pytest

from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)

DATASET = [
    {"input": "What's the capital of France?", "ground_truth": "Paris"},
    {"input": "Calculate 2+2", "ground_truth": "4"},
]

SUITE = """\
name: quick-start
dataset: dataset.jsonl

target:
  kind: letta_code
  model_handles:
    - openai/gpt-4.1-mini
  base_url: {base_url}

graders:
  correctness:
    kind: tool
    function: contains
    extractor: last_assistant

reward:
  kind: metric
  metric_key: correctness
"""


def knows_the_answers(request: dict) -> Reply:
    """The fake model: answers each question of the dataset, whatever order the samples run in."""
    asked = str(request["messages"][-1].get("content"))
    if "capital of France" in asked:
        return Reply(text="The capital of France is Paris.")
    if "2+2" in asked:
        return Reply(text="2+2 = 4")
    return Reply(text="ok")


def test_the_quick_start_suite_runs_end_to_end(tmp_path, client_env, letta_code_bin, letta_evals_bin, fake_openai):
    fake_openai.responder = knows_the_answers
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "dataset.jsonl").write_text("".join(json.dumps(row) + "\n" for row in DATASET))
    (suite / "suite.yaml").write_text(SUITE.format(base_url=client_env["LETTA_BASE_URL"]))
    env = {**client_env, "PATH": f"{letta_code_bin}{os.pathsep}{client_env['PATH']}"}

    done = subprocess.run(
        [str(letta_evals_bin), "run", "suite.yaml", "--output", "results"],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads((suite / "results" / "summary.json").read_text())["models"][0]
    assert summary["model"] == "openai/gpt-4.1-mini"
    assert summary["n_total"] == 2 and summary["n_attempted"] == 2, summary.get("errors")
    assert summary["per_metric"]["correctness"] == 1.0 and summary["reward"] == 1.0
