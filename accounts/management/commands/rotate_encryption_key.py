"""`manage.py rotate_encryption_key`: re-encrypt every secret stored at rest under the first configured key.

Rotation: put the new key first in LETTA_ENCRYPTION_KEY, keep the old one after it, restart, run this, then drop
the old key. Moving from the key derived from SECRET_KEY (no LETTA_ENCRYPTION_KEY) to an explicit one, or to a
new SECRET_KEY, is the same: the derived keys always decrypt (letta_project/encryption.py).

Every row is read first: if any value cannot be decrypted with the configured keys, the command stops naming it
and has changed nothing. Then each model's rows are rewritten in batches, each batch in a transaction with its
rows locked, so a secret saved meanwhile is neither lost nor overwritten by an older value.
"""

from collections.abc import Iterator

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction

from letta_project import encryption


class Command(BaseCommand):
    help = "Re-encrypt every stored secret under the first key of LETTA_ENCRYPTION_KEY (--generate makes a key)."

    def add_arguments(self, parser):
        parser.add_argument("--generate", action="store_true", help="Print a new key for LETTA_ENCRYPTION_KEY.")
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args, generate=False, batch_size=500, **options):
        if generate:
            self.stdout.write(encryption.generate_key())
            return
        targets = [(model, fields) for model in apps.get_models() if (fields := encrypted_fields(model))]
        for model, fields in targets:
            for pk, raw in stored_values(model, fields, batch_size):
                check_readable(model, pk, fields, raw)
        for model, fields in targets:
            count = rotate(model, fields, batch_size)
            self.stdout.write(f"{model._meta.label}: {count} row{'' if count == 1 else 's'} re-encrypted")


def encrypted_fields(model) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if isinstance(field, encryption.EncryptedField)]


def stored_values(model, fields, batch_size: int) -> Iterator[tuple[object, list]]:
    last = None
    while rows := read_batch(model, fields, batch_size, after=last):
        yield from rows
        last = rows[-1][0]


def read_batch(model, fields, size: int, *, after=None, lock: bool = False) -> list[tuple[object, list]]:
    """Up to `size` rows after primary key `after`, in its order: each row's primary key and its encrypted columns
    as stored (read past the fields, which would decrypt them). Rows whose columns are all empty are left out."""
    quote = connection.ops.quote_name
    pk_column = quote(model._meta.pk.column)
    columns = ", ".join(quote(field.column) for field in fields)
    conditions = ["(" + " OR ".join(f"{quote(field.column)} IS NOT NULL" for field in fields) + ")"]
    params = []
    if after is not None:
        conditions.append(f"{pk_column} > %s")
        params.append(after)
    locking = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    query = (
        f"SELECT {pk_column}, {columns} FROM {quote(model._meta.db_table)} WHERE {' AND '.join(conditions)} "
        f"ORDER BY {pk_column} LIMIT %s{locking}"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*params, size])
        return [(row[0], list(row[1:])) for row in cursor.fetchall()]


def check_readable(model, pk, fields, raw: list) -> None:
    for field, value in zip(fields, raw):
        if value is None:
            continue
        try:
            encryption.decrypt(value)
        except encryption.DecryptionError:
            raise CommandError(
                f"{model._meta.label} {pk}: its {field.name} cannot be decrypted with any configured key "
                "(LETTA_ENCRYPTION_KEY, or the keys derived from SECRET_KEY and DJANGO_SECRET_KEY_FALLBACKS). "
                "Nothing was changed: put the key it was stored with after the new one and run this again."
            ) from None


def rotate(model, fields, batch_size: int) -> int:
    """Re-save each row's encrypted values through their fields, which encrypt under the first key."""
    count, last = 0, None
    manager = model._base_manager
    while True:
        with transaction.atomic():
            rows = read_batch(model, fields, batch_size, after=last, lock=True)
            for pk, raw in rows:
                values = {f.name: f.from_db_value(v, None, connection) for f, v in zip(fields, raw) if v is not None}
                # update(), not save(): no auto_now timestamp moves and no signal fires; rotation changes no data.
                manager.filter(pk=pk).update(**values)
        count += len(rows)
        if len(rows) < batch_size:
            return count
        last = rows[-1][0]
