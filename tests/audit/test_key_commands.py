"""The signing key's commands: audit_keygen writes a new Ed25519 key (mode 600) and never
overwrites one; audit_public_key prints the public half of the configured key."""

import stat
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.signing import load_private_key, public_key_from_pem, public_key_pem


def test_audit_keygen_writes_a_private_key_only_its_owner_reads(tmp_path):
    path = tmp_path / "keys" / "audit-signing.pem"
    call_command("audit_keygen", str(path), stdout=StringIO())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()
    load_private_key(path)  # a readable Ed25519 key


def test_audit_keygen_refuses_to_overwrite_a_key(tmp_path):
    path = tmp_path / "audit-signing.pem"
    call_command("audit_keygen", str(path), stdout=StringIO())
    before = path.read_bytes()
    with pytest.raises(CommandError, match="已存在"):
        call_command("audit_keygen", str(path), stdout=StringIO())
    assert path.read_bytes() == before


def test_audit_public_key_prints_the_configured_keys_public_half(tmp_path, settings):
    path = tmp_path / "audit-signing.pem"
    call_command("audit_keygen", str(path), stdout=StringIO())
    settings.AUDIT_SIGNING_KEY = str(path)
    settings.AUDIT_SIGNING_KEY_CREATE = False
    out = StringIO()
    call_command("audit_public_key", stdout=out)
    assert out.getvalue() == public_key_pem(load_private_key(path))
    public_key_from_pem(out.getvalue())
    assert "PRIVATE" not in out.getvalue()


def test_audit_public_key_names_a_missing_key_file(tmp_path, settings):
    """Production does not create keys: a missing file is a clear error naming audit_keygen."""
    settings.AUDIT_SIGNING_KEY = str(tmp_path / "absent.pem")
    settings.AUDIT_SIGNING_KEY_CREATE = False
    with pytest.raises(CommandError, match="audit_keygen"):
        call_command("audit_public_key", stdout=StringIO())
