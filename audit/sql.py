"""A cursor for set-based statements, in the lowest layer so that every layer above (the audit
log's batches, the sweep's notices) uses the same one."""

import psycopg
from django.db import connection


def binary_cursor() -> psycopg.Cursor:
    """A cursor on Django's connection, in its transaction, that sends the parameters apart from
    the statement (those written %b in binary): a batch's arrays are then neither quoted here
    nor parsed there, as Django's cursors, which put them in the statement's text, make them.
    PostgreSQL only; its statements do not reach Django's query log."""
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)
