"""The log's identity and its signing key, as the settings name them.

`AUDIT_SIGNING_KEY` is the path of an Ed25519 PKCS#8 PEM key, never SECRET_KEY. The embedded
default creates it on first use (`AUDIT_SIGNING_KEY_CREATE`); production refuses to start
without one (config/settings/production.py).
"""

import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditLog
from audit.signing import load_or_create_private_key, load_private_key, origin_for, verifier_key


def current_log() -> AuditLog:
    """The log's one row, created (with a random id) on first use."""
    log = AuditLog.objects.filter(pk=1).first()
    if log is not None:
        return log
    try:
        with transaction.atomic():
            return AuditLog.objects.create(
                pk=1, log_id=secrets.token_hex(16), created_at=timezone.now()
            )
    except IntegrityError:  # another process created it first
        return AuditLog.objects.get(pk=1)


def signing_key_path() -> Path:
    """Where the signing key lives."""
    return Path(settings.AUDIT_SIGNING_KEY)


def signing_key() -> Ed25519PrivateKey:
    """The log's Ed25519 signing key (created on first use on the embedded default)."""
    if getattr(settings, "AUDIT_SIGNING_KEY_CREATE", False):
        return load_or_create_private_key(signing_key_path())
    return load_private_key(signing_key_path())


def anchor_dir() -> Path:
    """The anchor store outside the database."""
    return Path(settings.AUDIT_ANCHOR_DIR)


def origin(log: AuditLog) -> str:
    """The origin line (and key name) of the log's checkpoints."""
    return origin_for(log.log_id)


def verifier_key_of(log: AuditLog, key: Ed25519PrivateKey) -> str:
    """The public half of `key` as a "name+id+base64" verifier key, for the bundle's hint."""
    return verifier_key(origin(log), key.public_key())
