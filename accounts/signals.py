"""When a sign-in or an API key ends, so do the websockets opened with it (accounts/socket_watch.py): connected in
AccountsConfig.ready."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import APIKey
from accounts.socket_watch import end_sockets, key_group, session_group, user_group


@receiver(user_logged_out)
def end_sockets_of_session(sender, request, user, **kwargs):
    # Sent before the session is flushed, so its key is still the one the sockets were opened with.
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        end_sockets(session_group(session_key))


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def end_sockets_of_deactivated_user(sender, instance, **kwargs):
    if not instance.is_active:
        end_sockets(user_group(instance.pk))


@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def end_sockets_of_deleted_user(sender, instance, **kwargs):
    end_sockets(user_group(instance.pk))


@receiver(post_save, sender=APIKey)
def end_sockets_of_revoked_key(sender, instance, **kwargs):
    if instance.revoked_at is not None:
        end_sockets(key_group(instance.id))
