"""Signed checkpoints of the audit log: Ed25519 keys and C2SP checkpoints as signed notes.

A checkpoint (https://c2sp.org/tlog-checkpoint) is the text

    perf-approvals/<log id>
    <tree size in decimal>
    <root hash in base64>
    <time in UTC, ISO 8601>

signed as a C2SP signed note (https://c2sp.org/signed-note): the text, a blank line, then
"— <key name> <base64(key ID || Ed25519 signature)>", where the key ID is the first four
bytes of SHA-256(key name || 0x0A || 0x01 || public key). The key name defaults to the
origin line, as the checkpoint spec recommends.

The signing key is its own Ed25519 key in a PKCS#8 PEM file, never SECRET_KEY: whoever holds
the web processes' secrets can rebuild an HMAC chain, but not sign a checkpoint. Plain Python
(no Django); paths and keys are passed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

logger = logging.getLogger(__name__)

ORIGIN_PREFIX = "perf-approvals/"
ED25519_TYPE = b"\x01"
ROOT_SIZE = 32
MAX_NOTE_BYTES = 65_536
MAX_SIGNATURES = 100
_LOG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_SIGNATURE_PREFIX = "— "


class NoteError(ValueError):
    """A checkpoint or signed note that is malformed or not signed by the expected key."""


class SigningKeyError(ValueError):
    """A key file that is missing, unreadable or not an Ed25519 key."""


@dataclass(frozen=True)
class Checkpoint:
    """A verified checkpoint: which log, how many leaves, their root, when it was signed."""

    origin: str
    size: int
    root: bytes
    at: datetime

    @property
    def log_id(self) -> str:
        """The id of the log this checkpoint belongs to."""
        return log_id_from_origin(self.origin)


# --- origins ---------------------------------------------------------------------------------


def origin_for(log_id: str) -> str:
    """The origin line of a log's checkpoints: "perf-approvals/<log id>"."""
    if not isinstance(log_id, str) or not _LOG_ID.fullmatch(log_id):
        raise ValueError(
            f"日志标识“{log_id}”无效：只能由字母、数字、点、下划线和连字符组成（最多 128 个）"
        )
    return ORIGIN_PREFIX + log_id


def log_id_from_origin(origin: str) -> str:
    """The log id named by an origin line; NoteError if the line is not ours."""
    log_id = origin.removeprefix(ORIGIN_PREFIX)
    if not origin.startswith(ORIGIN_PREFIX) or not _LOG_ID.fullmatch(log_id):
        raise NoteError(f"检查点来源“{origin}”格式错误：应为 {ORIGIN_PREFIX}<日志标识>")
    return log_id


# --- keys ------------------------------------------------------------------------------------


def generate_key_pem() -> bytes:
    """A new Ed25519 private key as unencrypted PKCS#8 PEM."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_from_pem(data: bytes, *, source: str = "私钥") -> Ed25519PrivateKey:
    """Parse an unencrypted PEM Ed25519 private key; SigningKeyError naming `source`."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise SigningKeyError(f"{source}已加密；审计签名需要未加密的 PKCS#8 PEM 私钥") from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningKeyError(f"{source}不是 PEM 格式的私钥") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{source}不是 Ed25519 私钥")
    return key


def load_private_key(path: str | os.PathLike) -> Ed25519PrivateKey:
    """Read the signing key from a PEM file (PKCS#8, unencrypted)."""
    source = f"审计签名密钥文件 {path} "
    try:
        data = Path(path).read_bytes()
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise SigningKeyError(
            f"找不到审计签名密钥文件 {path}：请用 python manage.py audit_keygen {path} 生成"
        ) from None
    except OSError as error:
        raise SigningKeyError(f"无法读取审计签名密钥文件 {path}：{error.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning("audit signing key %s is readable by other users; chmod 600 it", path)
    return private_key_from_pem(data, source=source)


def create_key_file(path: str | os.PathLike) -> Ed25519PrivateKey:
    """Write a new key to `path` (mode 600); FileExistsError if a key is already there.

    The file appears complete or not at all, so a process that races to create it either
    wins or reads the winner's key.
    """
    target = Path(path)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = generate_key_pem()
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".audit-key-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, target)
    finally:
        os.unlink(temporary)
    _fsync_directory(target.parent)
    return private_key_from_pem(pem)


def load_or_create_private_key(path: str | os.PathLike) -> Ed25519PrivateKey:
    """The key at `path`, created on first use (the embedded default's var/ key)."""
    if not Path(path).exists():
        try:
            return create_key_file(path)
        except FileExistsError:
            pass
    return load_private_key(path)


def public_key_pem(private_key: Ed25519PrivateKey) -> str:
    """The public half of a signing key as PEM (SubjectPublicKeyInfo)."""
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def public_key_from_pem(data: bytes | str) -> Ed25519PublicKey:
    """Parse a PEM Ed25519 public key; SigningKeyError otherwise."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else data
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, UnsupportedAlgorithm):
        raise SigningKeyError("公钥不是 PEM 格式的公钥") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("公钥不是 Ed25519 公钥")
    return key


def key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """The C2SP signed-note key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    return hashlib.sha256(
        key_name.encode("utf-8") + b"\n" + ED25519_TYPE + _raw_public(public_key)
    ).digest()[:4]


def verifier_key(key_name: str, public_key: Ed25519PublicKey) -> str:
    """The key as a C2SP / Go sumdb verifier key: "<name>+<key ID hex>+<base64(0x01||key)>"."""
    _check_key_name(key_name)
    encoded = base64.b64encode(ED25519_TYPE + _raw_public(public_key)).decode("ascii")
    return f"{key_name}+{key_id(key_name, public_key).hex()}+{encoded}"


# --- signed notes ----------------------------------------------------------------------------


def sign_note(text: str, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """Sign `text` (non-empty lines ending in newline) as a C2SP signed note."""
    _check_key_name(key_name)
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise ValueError("签名笔记的正文必须是以换行结尾的非空行")
    _check_characters(text)
    signature = private_key.sign(text.encode("utf-8"))
    blob = key_id(key_name, private_key.public_key()) + signature
    return f"{text}\n{_SIGNATURE_PREFIX}{key_name} {base64.b64encode(blob).decode('ascii')}\n"


def open_note(
    note: str | bytes, public_key: Ed25519PublicKey, *, key_name: str | None = None
) -> str:
    """The text of a signed note once a signature by `public_key` verifies; NoteError if not.

    Signatures by other keys are ignored (witness cosignatures, a rotated key); every
    signature that names this key must verify.
    """
    text, signatures = _split_note(note)
    message = text.encode("utf-8")
    verified = 0
    for name, blob in signatures:
        if key_name is not None and name != key_name:
            continue
        if blob[:4] != key_id(name, public_key):
            continue
        try:
            public_key.verify(blob[4:], message)
        except InvalidSignature:
            raise NoteError(
                f"检查点签名无效：“{name}”的签名与内容不符，检查点或签名已被改动"
            ) from None
        verified += 1
    if not verified:
        named = f"名为“{key_name}”的" if key_name else ""
        raise NoteError(f"检查点没有所给公钥的{named}签名：它不是由这把密钥签发的")
    return text


# --- checkpoints -----------------------------------------------------------------------------


def checkpoint_text(origin: str, size: int, root: bytes, at: datetime) -> str:
    """The unsigned body of a checkpoint: origin, size, base64 root, UTC time."""
    log_id_from_origin(origin)
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"树大小必须是非负整数，得到 {size!r}")
    if not isinstance(root, bytes) or len(root) != ROOT_SIZE:
        raise ValueError(f"根哈希必须是 {ROOT_SIZE} 字节")
    encoded_root = base64.b64encode(root).decode("ascii")
    return f"{origin}\n{size}\n{encoded_root}\n{format_time(at)}\n"


def sign_checkpoint(
    *,
    origin: str,
    size: int,
    root: bytes,
    at: datetime,
    private_key: Ed25519PrivateKey,
    key_name: str | None = None,
) -> str:
    """The signed note of a checkpoint (key name: the origin unless given)."""
    text = checkpoint_text(origin, size, root, at)
    return sign_note(text, private_key, origin if key_name is None else key_name)


def parse_and_verify(
    note: str | bytes, public_key: Ed25519PublicKey, *, key_name: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint with `public_key` and read it; NoteError naming the fault."""
    lines = open_note(note, public_key, key_name=key_name).split("\n")[:-1]
    if len(lines) != 4:
        raise NoteError(
            f"检查点格式错误：正文应有 4 行（来源、树大小、根哈希、时间），实际 {len(lines)} 行"
        )
    origin, size, root, at = lines
    log_id_from_origin(origin)
    return Checkpoint(
        origin=origin, size=_parse_size(size), root=_parse_root(root), at=_parse_time(at)
    )


def format_time(at: datetime) -> str:
    """A checkpoint's time line: ISO 8601 in UTC with a Z, seconds unless finer is given."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("检查点时间必须带时区")
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- parsing helpers -------------------------------------------------------------------------


def _split_note(note: str | bytes) -> tuple[str, list[tuple[str, bytes]]]:
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("检查点格式错误：不是有效的 UTF-8 文本") from None
    if not isinstance(note, str) or len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise NoteError(f"检查点格式错误：不是文本，或超过 {MAX_NOTE_BYTES} 字节")
    _check_characters(note, error=NoteError)
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("检查点格式错误：缺少正文与签名之间的空行，或没有以换行结尾")
    text, signature_lines = note[: split + 1], note[split + 2 : -1].split("\n")
    if len(signature_lines) > MAX_SIGNATURES:
        raise NoteError(f"检查点格式错误：签名超过 {MAX_SIGNATURES} 个")
    return text, [
        _parse_signature_line(line, number) for number, line in enumerate(signature_lines, 1)
    ]


def _parse_signature_line(line: str, number: int) -> tuple[str, bytes]:
    malformed = NoteError(
        f"检查点格式错误：第 {number} 个签名行应为“— 密钥名 base64签名”，实际为“{line[:80]}”"
    )
    if not line.startswith(_SIGNATURE_PREFIX):
        raise malformed
    name, _, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    try:
        _check_key_name(name)
        blob = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise malformed from None
    if len(blob) < 5:
        raise malformed
    return name, blob


def _parse_size(line: str) -> int:
    if not _DECIMAL.fullmatch(line):
        raise NoteError(f"检查点格式错误：树大小“{line[:40]}”不是不带前导零的十进制整数")
    return int(line)


def _parse_root(line: str) -> bytes:
    try:
        root = base64.b64decode(line, validate=True)
    except (ValueError, binascii.Error):
        root = b""
    if len(root) != ROOT_SIZE or base64.b64encode(root).decode("ascii") != line:
        raise NoteError(f"检查点格式错误：根哈希不是 {ROOT_SIZE} 字节的标准 base64")
    return root


def _parse_time(line: str) -> datetime:
    try:
        at = datetime.fromisoformat(line)
        canonical = format_time(at)
    except ValueError:
        canonical = None
    if canonical != line:
        raise NoteError(
            f"检查点格式错误：时间“{line[:40]}”不是 UTC 的 ISO 8601 时间（如 2026-05-01T08:00:00Z）"
        )
    return at


def _check_key_name(name: str) -> None:
    if not name or "+" in name or any(character.isspace() for character in name):
        raise ValueError(f"密钥名“{name}”无效：不能为空，不能含空白或加号")


def _check_characters(text: str, error: type[ValueError] = ValueError) -> None:
    if any(character < " " and character != "\n" for character in text):
        raise error("检查点格式错误：含有换行以外的控制字符")


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
