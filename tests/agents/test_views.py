def test_health(client, db):
    response = client.get("/v1/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_home_lists_agents(client, db):
    assert client.get("/").status_code == 200
