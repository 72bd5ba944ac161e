"""Helpers for the set-based statements of the deadline sweep and its notices."""

import psycopg
from django.db import connection
from django.db.models.expressions import RawSQL


def among(values: list, sql_type: str = "bigint") -> list | RawSQL:
    """`values` for an `__in` filter: on PostgreSQL one array parameter (unnested) rather than
    one placeholder each; a sweep's batch has thousands, which cost more to build, send and
    parse than the statement takes to run."""
    if connection.vendor != "postgresql":
        return values
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", (values,))  # noqa: S611


def binary_cursor() -> psycopg.Cursor:
    """A cursor on Django's connection, in its transaction, that sends the parameters apart from
    the statement (those written %b in binary): a batch's arrays are then neither quoted here
    nor parsed there, as Django's cursors, which put them in the statement's text, make them.
    PostgreSQL only; its statements do not reach Django's query log."""
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)
