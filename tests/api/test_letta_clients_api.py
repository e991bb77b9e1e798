"""What Letta's own clients (Letta Code, letta-evals) read from this server beyond the SDK's core routes: the
health version they compare, the wording of a missing tool they recover from, and JSON for families not served."""

from agents.models import Agent


def _semver(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:3])


def test_health_answers_with_and_without_slash_with_a_version_letta_clients_accept(anonymous, db):
    for path in ("/v1/health", "/v1/health/", "/v1/ready", "/v1/ready/"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        body = response.json()
        assert body["status"] == "ok"
        # Letta Code 0.32 tells the user to `docker pull letta/letta` when this is below 0.16.6.
        assert _semver(body["version"]) >= (0, 16, 6)
        assert body["server_version"] == "0.1.0"  # the project's own version, beside the API's


def test_unknown_tool_names_are_named_as_letta_words_them(api, providers):
    body = {
        "name": "coder",
        "model": "openai/gpt-4.1-mini",
        "tools": ["web_search", "fetch_webpage", "zz_missing", "memory_apply_patch"],
    }
    response = api.post("/v1/agents/", body, content_type="application/json")
    assert response.status_code == 400
    # Letta Code matches /tools not found by name/ and a base tool's name, then bootstraps and retries.
    assert response.json()["detail"].startswith("Tools not found by name: {'memory_apply_patch', 'zz_missing'}")
    assert not Agent.objects.exists()


def test_client_side_access_tokens_answer_json_501(api, db):
    for method in (api.get, api.post):
        response = method("/v1/client-side-access-tokens", {}, content_type="application/json")
        assert response.status_code == 501
        assert "client-side-access-tokens" in response.json()["detail"]
