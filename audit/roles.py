"""Database roles: the application's role may only INSERT and SELECT the audit log.

Two PostgreSQL roles serve the site. The owner (MIGRATION_DATABASE_URL) owns every table and
runs `migrate` and `grant_app_role`; web and worker processes connect as the application's
role (DATABASE_URL), which may change every other table but may only INSERT into and SELECT
from the append-only audit tables: no UPDATE, DELETE or TRUNCATE, and as it owns nothing, no
ALTER TABLE, DISABLE TRIGGER or DROP TRIGGER either. Whoever holds the web processes'
credentials can add to the log, never rewrite it.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from audit.models import (
    AuditCheckpoint,
    AuditEvent,
    AuditLeaf,
    AuditLog,
    AuditNode,
    SignedCheckpoint,
)

# The tables the application may only append to and read. ChainHead is not among them: it is
# the HMAC chains' moving head, updated with every event.
APPEND_ONLY_MODELS = (AuditEvent, AuditCheckpoint, AuditLog, AuditLeaf, AuditNode, SignedCheckpoint)

_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_$]{0,62}")
_CONNECTION_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT")


class RoleError(ValueError):
    """The role cannot serve as the application's role (message in Chinese)."""


def append_only_tables() -> list[str]:
    """The audit tables' names."""
    return [model._meta.db_table for model in APPEND_ONLY_MODELS]


@contextmanager
def as_owner(alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Inside: the connection uses MIGRATION_DATABASE_URL, the tables' owner, when it is set."""
    owner = getattr(settings, "MIGRATION_DATABASE", None)
    if not owner:
        yield
        return
    connection = connections[alias]
    if owner["NAME"] != connection.settings_dict["NAME"]:
        raise RoleError(
            f"MIGRATION_DATABASE_URL 指向数据库“{owner['NAME']}”，DATABASE_URL 指向"
            f"“{connection.settings_dict['NAME']}”：两者必须是同一个数据库"
        )
    saved = {key: connection.settings_dict.get(key) for key in _CONNECTION_KEYS}
    connection.close()
    connection.settings_dict.update({key: owner.get(key, "") for key in _CONNECTION_KEYS})
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def grant_app_role(role: str, *, alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Give `role` what the application needs, the audit tables read and append only; run as
    the tables' owner. Returns the statements run."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        raise RoleError("数据库角色只在 PostgreSQL 上使用；当前数据库不是 PostgreSQL")
    if not _ROLE_NAME.fullmatch(role):
        raise RoleError(f"角色名“{role}”无效：只能用小写字母、数字、下划线和 $，以字母或下划线开头")
    with connection.cursor() as cursor:
        _check_role(cursor, role)
        statements = _grants(role, cursor)
        for statement in statements:
            cursor.execute(statement)
    return statements


def _check_role(cursor, role: str) -> None:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
    found = cursor.fetchone()
    if found is None:
        raise RoleError(
            f"数据库角色“{role}”不存在：请数据库管理员先创建它"
            f"（CREATE ROLE {role} LOGIN PASSWORD '…'）"
        )
    if found[0]:
        raise RoleError(f"“{role}”是超级用户，可以绕过一切权限，不能作为应用的数据库角色")
    cursor.execute("SELECT current_user")
    if cursor.fetchone()[0] == role:
        raise RoleError(
            f"当前连接就是“{role}”：请以表的所有者运行本命令（设置 MIGRATION_DATABASE_URL）"
        )
    cursor.execute(
        "SELECT c.relname FROM pg_class c WHERE c.relname = ANY(%s) "
        "AND c.relnamespace = current_schema()::regnamespace "
        "AND pg_has_role(%s, c.relowner, 'USAGE')",
        [append_only_tables(), role],
    )
    owned = [name for (name,) in cursor.fetchall()]
    if owned:
        raise RoleError(
            f"“{role}”拥有（或继承了所有者的）审计表 {', '.join(owned)}：应用角色不能是表的所有者"
        )


def _grants(role: str, cursor) -> list[str]:
    cursor.execute("SELECT current_schema(), current_database()")
    schema, database = cursor.fetchone()
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    role, schema, database = quote(role), quote(schema), quote(database)
    audit = ", ".join(quote(table) for table in append_only_tables())
    return [
        f"GRANT CONNECT ON DATABASE {database} TO {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        # Start from nothing, so that running it again after a migration repairs any drift.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"REVOKE ALL ON {audit} FROM {role}",
        f"GRANT SELECT, INSERT ON {audit} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        # Tables that later migrations create: usable at once. A new audit table is then
        # writable until grant_app_role runs again, which every release does after migrate;
        # its trigger refuses UPDATE, DELETE and TRUNCATE meanwhile.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
