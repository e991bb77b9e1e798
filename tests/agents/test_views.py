def test_health(client, db):
    response = client.get("/v1/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_home_leads_to_the_ade(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/ade/"
