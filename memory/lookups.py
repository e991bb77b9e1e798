"""`has_tag`: a JSON list column holding a given string, answered by the database on both engines.

Django's `contains` on a JSONField is PostgreSQL-only; on SQLite the same question is an EXISTS over `json_each`.
Either way the rows are filtered in SQL, so a tag filter over 10,000 agents reads only the matching rows.
"""

from django.db.models import JSONField, Lookup


@JSONField.register_lookup
class HasTag(Lookup):
    lookup_name = "has_tag"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)", [*lhs_params, self.rhs]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} @> jsonb_build_array(%s::text)", [*lhs_params, self.rhs]
