"""Create an API key from the shell; the key is the last line of output, so scripts can take it with `tail -1`."""

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import Organization


class Command(BaseCommand):
    help = "Create an API key for the REST API and print it (shown once, stored only as a hash)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="what the key is for, e.g. 'laptop' or 'ci'")
        parser.add_argument("--org", metavar="ORG_ID", help="organization id (default: the default organization)")

    def handle(self, *args, **options):
        organization_id = options["org"] or Organization.default().id
        try:
            api_key, raw = services.create_api_key(organization_id=organization_id, name=options["name"])
        except services.OrganizationNotFoundError as exc:
            known = ", ".join(f"{org.id} ({org.name})" for org in Organization.objects.order_by("created_at"))
            raise CommandError(f"{exc} Known organizations: {known or 'none'}.") from exc
        except services.APIKeyNameError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Created API key {api_key.name!r} ({api_key.id}) for organization {api_key.organization_id}.\n"
            "Copy it now: it is stored only as a hash and cannot be shown again."
        )
        self.stdout.write(raw)
