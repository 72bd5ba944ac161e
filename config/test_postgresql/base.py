"""PostgreSQL for the test suite: Django's backend, except that a flush may empty the audit log.

Transactional tests end with a flush: a TRUNCATE of every table, which the audit log's trigger
refuses to everyone (audit/migrations/0004_i11b_strict_append_only.py). The flush runs with
`session_replication_role = replica` for its own transaction, so no trigger fires. Only a
superuser may set that, and the test suite connects as one (it creates and drops databases);
a superuser can switch any trigger off anyway, so nothing here is an escape the application's
role could use.
"""

from django.db import transaction
from django.db.backends.postgresql import base


class DatabaseOperations(base.DatabaseOperations):
    def execute_sql_flush(self, sql_list):
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            super().execute_sql_flush(sql_list)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
