"""When the session ends, the ADE sends its person to sign in and back, and the sockets it opened close.

A page signed out in another tab (or expired) must not paste the sign-in page into itself on its next htmx request,
nor end on a 405 after signing in from a form it posted; an open websocket must stop streaming.
"""

from urllib.parse import quote

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import APIKey, Membership
from letta_project.asgi import application

PASSWORD = "correct horse"


@pytest.fixture
def member(org):
    user = User.objects.create_user(username="ada", password=PASSWORD)
    Membership.objects.create(user=user, organization=org)
    return user


def sign_in_url(next_url: str) -> str:
    return f"{reverse('ade-login')}?next={quote(next_url)}"


def signed_out_in_another_tab(client, member) -> None:
    client.force_login(member)
    other_tab = Client()
    other_tab.cookies = client.cookies  # a second tab of the same browser
    assert other_tab.post(reverse("ade-logout")).status_code == 302


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_htmx_request_after_sign_out_sends_the_browser_to_sign_in_and_back_to_the_page(client, member, make_agent):
    agent = make_agent()
    page = reverse("ade-agent-memory", args=[agent.id]) + "?page=1"
    signed_out_in_another_tab(client, member)

    response = client.get(
        reverse("ade-agents") + "?q=x",  # a fragment the page asked for, not the page itself
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"},
    )

    assert response["HX-Redirect"] == sign_in_url(page)
    assert b"Sign in" not in response.content  # nothing for htmx to paste into the page

    signed_in = client.post(response["HX-Redirect"], {"username": "ada", "password": PASSWORD, "next": page})
    assert signed_in.status_code == 302 and signed_in["Location"] == page
    assert client.get(page).status_code == 200


@pytest.mark.django_db
def test_an_htmx_post_after_sign_out_stores_nothing(client, member):
    page = reverse("ade-keys")
    signed_out_in_another_tab(client, member)

    response = client.post(
        reverse("ade-key-create"),
        {"name": "laptop"},
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"},
    )

    assert response["HX-Redirect"] == sign_in_url(page)
    assert not APIKey.objects.exists()


@pytest.mark.django_db
def test_a_page_of_another_site_is_never_the_next_page(client, member):
    signed_out_in_another_tab(client, member)
    home = reverse("ade-agents")

    htmx = client.get(home, headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/ade/keys/"})
    form = client.post(reverse("ade-key-create"), {"name": "x"}, headers={"Referer": "https://evil.example/ade/"})

    assert htmx["HX-Redirect"] == sign_in_url(home)
    assert form["Location"] == sign_in_url(home)


@pytest.mark.django_db
def test_a_form_posted_after_sign_out_ends_on_its_page_after_sign_in_not_on_a_405(client, member):
    page = reverse("ade-keys")
    signed_out_in_another_tab(client, member)

    posted = client.post(reverse("ade-key-create"), {"name": "laptop"}, headers={"Referer": f"http://testserver{page}"})
    assert posted.status_code == 302 and posted["Location"] == sign_in_url(page)

    landed = client.post(posted["Location"], {"username": "ada", "password": PASSWORD, "next": page}, follow=True)
    assert landed.redirect_chain == [(page, 302)]
    assert landed.status_code == 200
    assert not APIKey.objects.exists()  # the form's data is not replayed


@pytest.mark.django_db
def test_a_form_posted_without_a_referer_lands_on_the_ade_home(client, member):
    signed_out_in_another_tab(client, member)
    posted = client.post(reverse("ade-key-create"), {"name": "laptop"})
    assert posted["Location"] == sign_in_url(reverse("ade-agents"))


@pytest.mark.django_db
def test_a_form_posted_from_the_answer_of_a_post_does_not_come_back_to_it(client, member):
    # A page at the form's own URL was rendered by posting it; a GET of that URL after sign-in would be a 405.
    signed_out_in_another_tab(client, member)
    create = reverse("ade-key-create")
    posted = client.post(create, {"name": "laptop"}, headers={"Referer": f"http://testserver{create}"})
    assert posted["Location"] == sign_in_url(reverse("ade-agents"))


@pytest.mark.django_db
def test_an_htmx_post_with_a_stale_csrf_token_reloads_its_page(member):
    # A sign-in in another tab renews the CSRF token; a page open since before holds the old one.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    browser.get(reverse("ade-keys"))  # sets the CSRF cookie
    stale = {"X-CSRFToken": "x" * 64}

    htmx = browser.post(reverse("ade-key-create"), {"name": "laptop"}, headers={"HX-Request": "true", **stale})
    plain = browser.post(reverse("ade-key-create"), {"name": "laptop"}, headers=stale)

    assert htmx["HX-Refresh"] == "true"
    assert plain.status_code == 403
    assert not APIKey.objects.exists()


# --- sockets -------------------------------------------------------------------------------------


async def open_socket(agent_id: str, headers) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, f"/ws/agents/{agent_id}/", headers=headers)
    connected, _ = await socket.connect()
    assert connected and await socket.receive_nothing(timeout=0.2)  # admitted and subscribed
    return socket


async def close_code(socket: WebsocketCommunicator) -> int:
    closed = await socket.receive_output(timeout=5)
    assert closed["type"] == "websocket.close"
    return closed["code"]


async def session_socket(client, member, agent):
    await sync_to_async(client.force_login)(member)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    headers = [(b"cookie", cookie), (b"host", b"testserver"), (b"origin", b"http://testserver")]
    return await open_socket(agent.id, headers)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_socket_closes_when_its_session_signs_out_in_another_tab(client, member, make_agent):
    agent = await sync_to_async(make_agent)()
    socket = await session_socket(client, member, agent)
    other_tab = Client()
    other_tab.cookies = client.cookies

    await sync_to_async(other_tab.post)(reverse("ade-logout"))

    assert await close_code(socket) == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_signing_out_another_session_leaves_this_socket_open(client, member, make_agent):
    agent = await sync_to_async(make_agent)()
    socket = await session_socket(client, member, agent)
    elsewhere = Client()
    await sync_to_async(elsewhere.force_login)(member)

    await sync_to_async(elsewhere.post)(reverse("ade-logout"))

    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_socket_closes_when_its_session_expires(client, member, make_agent):
    agent = await sync_to_async(make_agent)()
    await sync_to_async(client.force_login)(member)

    def expire_in_a_second():
        session = client.session
        session.set_expiry(1)
        session.save()

    await sync_to_async(expire_in_a_second)()
    socket = await session_socket(client, member, agent)

    assert await close_code(socket) == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_socket_closes_when_its_person_is_deactivated(client, member, make_agent):
    agent = await sync_to_async(make_agent)()
    socket = await session_socket(client, member, agent)

    member.is_active = False
    await sync_to_async(member.save)()

    assert await close_code(socket) == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_socket_closes_when_its_person_is_deleted(client, member, make_agent):
    agent = await sync_to_async(make_agent)()
    socket = await session_socket(client, member, agent)

    await sync_to_async(member.delete)()

    assert await close_code(socket) == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_recheck_closes_a_socket_whose_session_ended_without_a_message(client, member, make_agent, settings):
    # A password change signs the person's other sessions out (Django's session hash) and sends no message.
    settings.SOCKET_RECHECK_SECONDS = 0.2
    agent = await sync_to_async(make_agent)()
    socket = await session_socket(client, member, agent)

    member.set_password("a new one")
    await sync_to_async(member.save)()

    assert await close_code(socket) == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_key_socket_closes_when_its_key_is_revoked(org, make_agent):
    agent = await sync_to_async(make_agent)()
    api_key, raw = await sync_to_async(services.create_api_key)(organization_id=org.id, name="watcher")
    socket = await open_socket(agent.id, [(b"authorization", f"Bearer {raw}".encode())])

    await sync_to_async(services.revoke_api_key)(api_key.id, organization_id=org.id)

    assert await close_code(socket) == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_recheck_closes_a_key_socket_revoked_without_a_message(org, make_agent, settings):
    # e.g. revoked by another server process that shares no channel layer with this one
    settings.SOCKET_RECHECK_SECONDS = 0.2
    agent = await sync_to_async(make_agent)()
    api_key, raw = await sync_to_async(services.create_api_key)(organization_id=org.id, name="watcher")
    socket = await open_socket(agent.id, [(b"authorization", f"Bearer {raw}".encode())])

    await sync_to_async(APIKey.objects.filter(pk=api_key.pk).update)(revoked_at="2026-01-01T00:00:00Z")

    assert await close_code(socket) == 4401
