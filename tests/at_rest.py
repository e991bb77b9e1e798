"""Reading what the database itself holds for an encrypted field, past the field (which would decrypt it)."""

from django.db import connection


def stored(model, field_name: str, pk) -> str:
    """The column's raw value for the row `pk` of `model`."""
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(model._meta.get_field(field_name).column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {quote(model._meta.pk.column)} = %s", [pk])
        return cursor.fetchone()[0]
