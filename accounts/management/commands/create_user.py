"""Create a person who signs in to the ADE, in an organization. The password is asked for (or read from
LETTA_USER_PASSWORD, for scripts), never taken as an argument that would stay in the shell's history."""

import getpass

from django.core.management.base import BaseCommand, CommandError

from accounts import members, services
from accounts.models import Organization
from letta_project.env import env_str

PASSWORD_ENV = "LETTA_USER_PASSWORD"


class Command(BaseCommand):
    help = "Create a user who signs in to the ADE and acts for an organization (the default one unless --org)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--org", metavar="ORG_ID", help="organization id (default: the default organization)")
        parser.add_argument("--superuser", action="store_true", help="also make the user a Django superuser")

    def handle(self, *args, **options):
        organization_id = options["org"] or Organization.default().id
        # Read when the command runs, not at start-up like the server's settings: it is this invocation's input.
        password = env_str(PASSWORD_ENV) or self._ask_password()
        try:
            membership = members.create_member(
                username=options["username"],
                password=password,
                organization_id=organization_id,
                superuser=options["superuser"],
            )
        except services.OrganizationNotFoundError as exc:
            known = ", ".join(f"{org.id} ({org.name})" for org in Organization.objects.order_by("created_at"))
            raise CommandError(f"{exc} Known organizations: {known or 'none'}.") from exc
        except members.MemberError as exc:
            raise CommandError(str(exc)) from exc
        organization = membership.organization
        self.stdout.write(
            f"Created user {membership.user.username!r} in organization {organization.name!r} ({organization.id}).\n"
            "They can sign in to the ADE at /ade/login/."
        )

    def _ask_password(self) -> str:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ; nothing was created.")
        return password
