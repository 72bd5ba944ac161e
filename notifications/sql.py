"""Helpers for the set-based statements of the deadline sweep and its notices."""

from django.db import connection
from django.db.models.expressions import RawSQL


def among(values: list, sql_type: str = "bigint") -> list | RawSQL:
    """`values` for an `__in` filter: on PostgreSQL one array parameter (unnested) rather than
    one placeholder each; a sweep's batch has thousands, which cost more to build, send and
    parse than the statement takes to run."""
    if connection.vendor != "postgresql":
        return values
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", (values,))  # noqa: S611
