"""`manage.py check --deploy` passes with the production settings the README documents, and not without them;
the embedded default (plain http on 127.0.0.1) keeps serving plain http."""

import json
import subprocess
import sys

import pytest
from django.test import Client

from tests.letta_project.test_secret_key import ROOT, server_env

PRODUCTION = {
    "DJANGO_SECRET_KEY": "kq3V9x-production-secret-key-7dL2mZpR8wT4yB6nH1cF5gJ0sA",
    "DJANGO_ALLOWED_HOSTS": "letta.example.com",
    "LETTA_BEHIND_TLS_PROXY": "1",
    "DATABASE_URL": "postgresql://letta@db.example/letta",
}
SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({n: getattr(s, n) "
    "for n in ('SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
    "'SECURE_PROXY_SSL_HEADER', 'SECURE_REDIRECT_EXEMPT', 'CSRF_TRUSTED_ORIGINS')}))"
)


def deploy_check(tmp_path, **settings: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=server_env(tmp_path, **settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_with(tmp_path, **settings: str) -> dict:
    shown = subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=server_env(tmp_path, **settings), capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_the_documented_production_settings_pass_the_deploy_check(tmp_path):
    checked = deploy_check(tmp_path, **PRODUCTION)
    assert checked.returncode == 0, checked.stderr


def test_the_old_fixed_secret_key_fails_the_deploy_check(tmp_path):
    checked = deploy_check(
        tmp_path, **{**PRODUCTION, "DJANGO_SECRET_KEY": "insecure-dev-key-change-me-for-any-shared-deployment"}
    )
    assert checked.returncode != 0 and "letta.E001" in checked.stderr


def test_without_the_tls_switch_the_deploy_check_fails(tmp_path):
    checked = deploy_check(tmp_path, **{**PRODUCTION, "LETTA_BEHIND_TLS_PROXY": "0"})
    assert checked.returncode != 0
    assert "SECURE_SSL_REDIRECT" in checked.stderr and "SESSION_COOKIE_SECURE" in checked.stderr


def test_the_tls_switch_and_its_companions_are_read_from_the_environment(tmp_path):
    shown = settings_with(
        tmp_path,
        LETTA_BEHIND_TLS_PROXY="1",
        LETTA_HSTS_SECONDS="600",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://letta.example.com,https://ade.example.com",
    )
    assert shown == {
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 600,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_REDIRECT_EXEMPT": ["^v1/health/$"],
        "CSRF_TRUSTED_ORIGINS": ["https://letta.example.com", "https://ade.example.com"],
    }


def test_the_embedded_default_stays_on_plain_http(tmp_path):
    shown = settings_with(tmp_path)
    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SESSION_COOKIE_SECURE"] is False and shown["CSRF_COOKIE_SECURE"] is False
    assert shown["SECURE_PROXY_SSL_HEADER"] is None


@pytest.mark.django_db
def test_behind_the_proxy_plain_http_is_redirected_and_https_served(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_REDIRECT_EXEMPT = [r"^v1/health/$"]

    plain = Client().get("/ade/login/")
    secure = Client().get("/ade/login/", headers={"X-Forwarded-Proto": "https"})

    assert plain.status_code == 301 and plain["Location"] == "https://testserver/ade/login/"
    assert secure.status_code == 200 and secure["Strict-Transport-Security"].startswith("max-age=3600")
    assert Client().get("/v1/health/").status_code == 200  # a load balancer's plain-http probe


@pytest.mark.django_db
def test_the_embedded_default_serves_plain_http():
    response = Client().get("/ade/login/")
    assert response.status_code == 200 and "Strict-Transport-Security" not in response
