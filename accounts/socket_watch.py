"""A websocket ends when the credential it was opened with ends.

Three ways, from fastest to surest:
- a message: signing out (any tab), deactivating or deleting a person, and revoking a key send `credential.ended`
  to a channel-layer group of that session, person or key (accounts/signals.py, `services.revoke_api_key`); every
  socket opened with it is in that group and closes at once, in every server process that shares the layer;
- a timer at the session's expiry;
- a re-check every SOCKET_RECHECK_SECONDS, for what sends no message (a password changed, a process without a
  shared layer), costing one query per socket per period and none per event.
A closed socket says why with the same code as a refused one (4401), so the page sends its person to sign in.
"""

import asyncio
import hashlib

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.socket_auth import SocketCredential, credential_status

UNAUTHENTICATED = 4401
ENDED = {"type": "credential.ended"}


def session_group(session_key: str) -> str:
    # A digest, so no session key (a bearer secret) travels as a group name through a shared layer such as Redis.
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:48]


def user_group(user_id) -> str:
    return f"user.{user_id}"


def key_group(api_key_id: str) -> str:
    return f"apikey.{api_key_id}"


def groups_of(credential: SocketCredential) -> list[str]:
    if credential.api_key_id is not None:
        return [key_group(credential.api_key_id)]
    return [session_group(credential.session_key), user_group(credential.user_id)]


def end_sockets(group: str) -> None:
    """Close every socket opened with the credential of `group`, once the current transaction commits."""
    transaction.on_commit(lambda: _send(group))


def _send(group: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(layer.group_send)(group, ENDED)
        return
    # Only sync code run on an event loop's own thread (DJANGO_ALLOW_ASYNC_UNSAFE) gets here, where nothing could
    # wait for the send; the periodic re-check closes those sockets instead.


_credential_status = database_sync_to_async(credential_status)


class CredentialBoundConsumer:
    """Mixed into a websocket consumer: `await self.bind_credential(credential)` once admitted, and
    `await self.unbind_credential()` from `disconnect`. The consumer itself stays a forwarder."""

    credential: SocketCredential | None = None
    _watcher: asyncio.Task | None = None

    async def bind_credential(self, credential: SocketCredential) -> None:
        self.credential = credential
        for group in groups_of(credential):
            await self.channel_layer.group_add(group, self.channel_name)
        _, expires_at = await _credential_status(credential)
        self._watcher = asyncio.create_task(self._watch(expires_at))

    async def unbind_credential(self) -> None:
        if self._watcher is not None and self._watcher is not asyncio.current_task():
            self._watcher.cancel()
        self._watcher = None
        if self.credential is not None:
            for group in groups_of(self.credential):
                await self.channel_layer.group_discard(group, self.channel_name)

    async def credential_ended(self, message) -> None:
        await self.unbind_credential()
        await self.close(code=UNAUTHENTICATED)

    async def _watch(self, expires_at) -> None:
        while True:
            await asyncio.sleep(_until_next_check(expires_at))
            still_valid, expires_at = await _credential_status(self.credential)
            if not still_valid:
                await self.credential_ended(ENDED)
                return


def _until_next_check(expires_at) -> float:
    period = float(settings.SOCKET_RECHECK_SECONDS)
    if expires_at is None:
        return period
    # A moment past the expiry, so the session is gone when it is checked.
    return max(0.05, min(period, (expires_at - timezone.now()).total_seconds() + 0.05))
