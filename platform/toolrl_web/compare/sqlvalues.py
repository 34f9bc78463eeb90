"""Values read by the database for the compare page: numbers out of a metric row's JSON and
timestamps as epoch seconds, so Python neither decodes JSON nor builds a datetime per value.

PostgreSQL (production) and SQLite (the demo database) only.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F, FloatField, Func, Value
from django.db.models.fields.json import compile_json_path


class JsonNumber(Func):
    """The number under `key` of the `values` JSON, NULL when absent or not a number.

    The database returns a double, so Python decodes no JSON per value (10 runs of 1,000 steps
    with 6 metrics are 60,000 values). PostgreSQL and SQLite (the demo database) only.
    """

    output_field = FloatField()

    def __init__(self, key: str) -> None:
        super().__init__(F("values"), Value(key))

    def as_sqlite(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        path = compile_json_path([self.source_expressions[1].value])
        sql = (
            f"CASE WHEN json_type({column}, %s) IN ('integer', 'real') "
            f"THEN json_extract({column}, %s) END"
        )
        return sql, (*params, path, *params, path)

    def as_postgresql(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        key, key_params = compiler.compile(self.source_expressions[1])
        value = f"({column} -> {key})"
        sql = (
            f"CASE WHEN jsonb_typeof({value}) = 'number' "
            f"THEN ({column} ->> {key})::double precision END"
        )
        return sql, (*column_params, *key_params, *column_params, *key_params)


class Epoch(Func):
    """Seconds since 1970 of a timestamp, as a double (no datetime object per row)."""

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return f"(julianday({column}) - 2440587.5) * 86400.0", params

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return f"EXTRACT(EPOCH FROM {column})::double precision", params


def fetch_rows(queryset) -> list[tuple]:
    """The rows of a values_list query. On PostgreSQL straight from the cursor: the database
    already gives doubles, and Django's per-value converters cost more than the query."""
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
