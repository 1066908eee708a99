"""SQL the figures need and Django lacks: a median aggregate and whole days between two dates.

Both work on PostgreSQL (PERCENTILE_CONT, date subtraction) and SQLite (a MEDIAN aggregate
registered on the connection, julianday()), so medians per city and per month are computed
by the database in one grouped query instead of by reading every row into Python.
"""

import math

from django.db.models import Aggregate, FloatField, Func, IntegerField

_SQLITE_MEDIAN = "PORTAL_MEDIAN"


class _SQLiteMedian:
    """SQLite aggregate: the median of the non-null values (the mean of the middle two for
    an even count, as PostgreSQL's PERCENTILE_CONT(0.5)); NULL when there are none."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value) -> None:
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> float | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) / 2


class Median(Aggregate):
    """The median of an expression over each group (NULL for an empty group)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    output_field = FloatField()
    allow_distinct = False

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
        return super().as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Registered on the raw connection each time a query uses it: idempotent and cheap,
        # and it needs no signal or app hook (connections are per thread).
        connection.ensure_connection()
        connection.connection.create_aggregate(_SQLITE_MEDIAN, 1, _SQLiteMedian)
        return super().as_sql(compiler, connection, function=_SQLITE_MEDIAN, **extra_context)

    def convert_value(self, value, expression, connection):
        if value is None:
            return None
        value = float(value)
        return value if math.isfinite(value) else None


class DaysBetween(Func):
    """Whole days from `earlier` to `later`, both dates (later − earlier)."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, later, earlier, **extra):
        super().__init__(later, earlier, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError(f"DaysBetween is not written for {connection.vendor}.")

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="((%(expressions)s))", arg_joiner=")::date - (", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )
