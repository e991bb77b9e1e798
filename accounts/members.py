"""People who sign in to the ADE: a Django user and the membership that says which organization they act for."""

from django.contrib.auth.models import User
from django.db import transaction

from accounts.errors import DomainError
from accounts.models import Membership, Organization
from accounts.services import OrganizationNotFoundError


class MemberError(DomainError, ValueError):
    pass


def create_member(*, username: str, password: str, organization_id: str, superuser: bool = False) -> Membership:
    """Create a user who acts for `organization_id` in the ADE. Nothing is stored unless everything is valid."""
    username = (username or "").strip()
    if not username:
        raise MemberError("A user needs a username.")
    if not password:
        raise MemberError("A user needs a password (it cannot be empty).")
    if User.objects.filter(username=username).exists():
        raise MemberError(f"A user named {username!r} already exists; choose another name.")
    if not Organization.objects.filter(pk=organization_id).exists():
        raise OrganizationNotFoundError(organization_id)
    with transaction.atomic():
        if superuser:
            user = User.objects.create_superuser(username=username, password=password)
        else:
            user = User.objects.create_user(username=username, password=password)
        return Membership.objects.create(user=user, organization_id=organization_id)
