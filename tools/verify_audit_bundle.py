#!/usr/bin/env python3
"""Verify an audit proof bundle offline: 离线核验审计证明包。

    python verify_audit_bundle.py BUNDLE.json --public-key KEY.pem

Needs only Python 3.11+ and the `cryptography` package; it imports nothing from the
approval system, so an auditor can run it on a machine of their own. KEY.pem is the log's
public key, obtained from the operator out of band (`python manage.py audit_public_key`),
never from the bundle. Exit status 0: the checkpoint's signature holds and every event in the
bundle is proven to be in the log; 1: the first failure is named; 2: wrong arguments.

The bundle (GET /api/declarations/{id}/audit-proof/) is UTF-8 JSON:

    {
      "format": "perf-approvals-audit-proof/1",
      "log_id": "<id of the log, the origin's second half>",
      "checkpoint": "<signed checkpoint note>",
      "public_key_hint": "<name+keyid+base64 verifier key>",       optional, never trusted
      "events": [
        {
          "event": {<the event's canonical fields>},
          "leaf_index": <position of the event in the log, from 0>,
          "leaf_hash": "<hex SHA-256 leaf hash>",                    optional
          "inclusion_proof": ["<hex SHA-256>", ...]
        },
        ...
      ]
    }

The checkpoint is a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint) signed as a C2SP
signed note (https://c2sp.org/signed-note) with Ed25519:

    perf-approvals/<log id>
    <tree size in decimal>
    <root hash, base64>
    <time in UTC, ISO 8601, e.g. 2026-05-01T08:00:00Z>

    — <key name> <base64(4-byte key ID || 64-byte signature)>

with key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4].

An event's leaf is the canonical JSON of its fields (keys sorted, separators "," and ":",
non-ASCII kept, UTF-8), hashed as an RFC 9162 leaf: SHA-256(0x00 || data). Its inclusion
proof is the RFC 9162 §2.1.3 audit path from that leaf to the checkpoint's root, checked as
§2.1.3.2 specifies, at the tree size the checkpoint signs.

What a pass proves: each event, exactly as shown, is at its position in a log whose state
the key's holder signed. It does not prove that the bundle lists all of a declaration's
events; the log's own verification (verify_audit) answers that.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "perf-approvals-audit-proof/1"
ORIGIN_PREFIX = "perf-approvals/"
HASH_SIZE = 32
MAX_NOTE_BYTES = 65_536
_LOG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_HEX_HASH = re.compile(r"[0-9a-f]{64}")


class BundleError(Exception):
    """The first reason the bundle does not verify, in words for the auditor."""


@dataclass(frozen=True)
class Checkpoint:
    """A verified checkpoint."""

    origin: str
    size: int
    root: bytes
    at: datetime


# --- the same hashing as audit.merkle (kept in step by tests/audit_core) ------------------


def canonical_leaf_data(fields: dict) -> bytes:
    """The bytes an event's leaf hashes: its fields as canonical JSON in UTF-8."""
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list, root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` place `leaf` at `index` in the tree `root`?"""
    if isinstance(index, bool) or isinstance(size, bool):
        return False
    if not isinstance(index, int) or not isinstance(size, int) or not 0 <= index < size:
        return False
    if not all(isinstance(v, bytes) and len(v) == HASH_SIZE for v in [leaf, root, *proof]):
        return False
    fn, sn, result = index, size - 1, leaf
    for element in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(element, result)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, element)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(result, root)


# --- the checkpoint: C2SP signed note --------------------------------------------------------


def key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """C2SP signed-note key ID of an Ed25519 key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(key_name.encode("utf-8") + b"\n\x01" + raw).digest()[:4]


def open_note(note: str, public_key: Ed25519PublicKey) -> str:
    """The note's text once a signature by `public_key` verifies."""
    if not isinstance(note, str) or len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise BundleError("检查点不是文本，或过长")
    if any(character < " " and character != "\n" for character in note):
        raise BundleError("检查点格式错误：含有换行以外的控制字符")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise BundleError("检查点格式错误：缺少正文与签名之间的空行，或没有以换行结尾")
    text = note[: split + 1]
    verified = 0
    for line in note[split + 2 : -1].split("\n"):
        name, blob = _signature_line(line)
        if blob[:4] != key_id(name, public_key):
            continue
        try:
            public_key.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise BundleError(
                f"检查点签名无效：“{name}”的签名与内容不符，检查点或签名已被改动"
            ) from None
        verified += 1
    if not verified:
        raise BundleError("检查点没有所给公钥的签名：它不是由这把密钥签发的，或公钥给错了")
    return text


def parse_checkpoint(note: str, public_key: Ed25519PublicKey) -> Checkpoint:
    """Verify and read a signed checkpoint."""
    lines = open_note(note, public_key).split("\n")[:-1]
    if len(lines) != 4:
        raise BundleError(
            f"检查点格式错误：正文应有 4 行（来源、树大小、根哈希、时间），实际 {len(lines)} 行"
        )
    origin, size, root, at = lines
    log_id = origin.removeprefix(ORIGIN_PREFIX)
    if not origin.startswith(ORIGIN_PREFIX) or not _LOG_ID.fullmatch(log_id):
        raise BundleError(f"检查点来源“{origin[:100]}”格式错误：应为 {ORIGIN_PREFIX}<日志标识>")
    if not _DECIMAL.fullmatch(size):
        raise BundleError(f"检查点格式错误：树大小“{size[:40]}”不是不带前导零的十进制整数")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except (ValueError, binascii.Error):
        root_hash = b""
    if len(root_hash) != HASH_SIZE or base64.b64encode(root_hash).decode("ascii") != root:
        raise BundleError(f"检查点格式错误：根哈希不是 {HASH_SIZE} 字节的标准 base64")
    return Checkpoint(origin=origin, size=int(size), root=root_hash, at=_parse_time(at))


# --- the bundle ------------------------------------------------------------------------------


def verify_bundle(bundle: object, public_key: Ed25519PublicKey) -> tuple[Checkpoint, int]:
    """Verify a parsed bundle; return its checkpoint and how many events were proven."""
    if not isinstance(bundle, dict):
        raise BundleError("证明包格式错误：顶层应是 JSON 对象")
    if bundle.get("format") != FORMAT:
        raise BundleError(f"证明包格式错误：format 应为“{FORMAT}”，实际为 {bundle.get('format')!r}")
    log_id = bundle.get("log_id")
    if not isinstance(log_id, str) or not _LOG_ID.fullmatch(log_id):
        raise BundleError("证明包格式错误：log_id 缺失或无效")
    try:
        checkpoint = parse_checkpoint(bundle.get("checkpoint"), public_key)
    except BundleError as error:
        raise BundleError(f"{error}{_hint_mismatch(bundle, public_key)}") from None
    if checkpoint.origin != ORIGIN_PREFIX + log_id:
        raise BundleError(
            f"检查点属于“{checkpoint.origin}”，而证明包声明的日志是“{ORIGIN_PREFIX}{log_id}”"
        )
    events = bundle.get("events")
    if not isinstance(events, list) or not events:
        raise BundleError("证明包格式错误：events 应是非空列表")
    for position, entry in enumerate(events, start=1):
        _verify_event(entry, position, checkpoint)
    return checkpoint, len(events)


def _verify_event(entry: object, position: int, checkpoint: Checkpoint) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("event"), dict):
        raise BundleError(f"第 {position} 个事件格式错误：应有 event 对象")
    name = _describe(entry, position)
    index, proof = entry.get("leaf_index"), entry.get("inclusion_proof")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise BundleError(f"{name}格式错误：leaf_index 应是非负整数")
    if index >= checkpoint.size:
        raise BundleError(f"{name}不在检查点内：叶序号 {index} 不小于树大小 {checkpoint.size}")
    if not isinstance(proof, list) or not all(_is_hex_hash(value) for value in proof):
        raise BundleError(f"{name}格式错误：inclusion_proof 应是 64 位十六进制哈希的列表")
    try:
        computed = leaf_hash(canonical_leaf_data(entry["event"]))
    except (TypeError, ValueError):
        raise BundleError(f"{name}格式错误：事件字段无法编码为规范 JSON") from None
    claimed = entry.get("leaf_hash")
    if claimed is not None and (not _is_hex_hash(claimed) or bytes.fromhex(claimed) != computed):
        raise BundleError(f"{name}的内容与它的叶哈希不符：事件内容已被改动")
    hashes = [bytes.fromhex(value) for value in proof]
    if not verify_inclusion(computed, index, checkpoint.size, hashes, checkpoint.root):
        raise BundleError(
            f"{name}的包含证明不成立：事件内容、位置或证明已被改动，或它不在签名的检查点内"
        )


def _describe(entry: dict, position: int) -> str:
    event = entry["event"]
    details = [f"叶序号 {entry.get('leaf_index')}"]
    details += [f"{key} {event[key]}" for key in ("id", "seq", "action") if key in event]
    return f"第 {position} 个事件（{'，'.join(str(detail) for detail in details)}）"


def _hint_mismatch(bundle: dict, public_key: Ed25519PublicKey) -> str:
    hint = bundle.get("public_key_hint")
    if not isinstance(hint, str) or hint.count("+") < 2:
        return ""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    given = base64.b64encode(b"\x01" + raw).decode("ascii")
    if hint.split("+", 2)[2] == given:
        return ""
    return f"（证明包提示的签名公钥是 {hint[:200]}，与所给公钥不同）"


def _signature_line(line: str) -> tuple[str, bytes]:
    malformed = BundleError(f"检查点格式错误：签名行应为“— 密钥名 base64签名”，实际为“{line[:80]}”")
    if not line.startswith("— "):
        raise malformed
    name, _, encoded = line[2:].partition(" ")
    if not name or "+" in name or any(character.isspace() for character in name):
        raise malformed
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise malformed from None
    if len(blob) < 5:
        raise malformed
    return name, blob


def _parse_time(line: str) -> datetime:
    try:
        at = datetime.fromisoformat(line)
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None or _format_time(at) != line:
        raise BundleError(
            f"检查点格式错误：时间“{line[:40]}”不是 UTC 的 ISO 8601 时间（如 2026-05-01T08:00:00Z）"
        )
    return at


def _format_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _is_hex_hash(value: object) -> bool:
    return isinstance(value, str) and bool(_HEX_HASH.fullmatch(value))


def _no_duplicate_keys(pairs: list) -> dict:
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        duplicated = next(key for key in keys if keys.count(key) > 1)
        raise BundleError(f"证明包格式错误：同一对象中键“{duplicated}”出现了不止一次")
    return dict(pairs)


# --- command line ----------------------------------------------------------------------------


def load_bundle(path: Path) -> object:
    """Read and parse the bundle file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BundleError(f"无法读取证明包 {path}：{error.strerror}") from None
    except UnicodeDecodeError:
        raise BundleError(f"证明包 {path} 不是 UTF-8 文本") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except ValueError as error:
        raise BundleError(f"证明包 {path} 不是合法的 JSON：{error}") from None


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read the log's Ed25519 public key (PEM)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BundleError(f"无法读取公钥文件 {path}：{error.strerror}") from None
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise BundleError(f"公钥文件 {path} 不是 PEM 格式的公钥") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BundleError(f"公钥文件 {path} 不是 Ed25519 公钥")
    return key


def main(argv: list[str] | None = None) -> int:
    """Verify the bundle named on the command line; print the outcome; return the exit code."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = argparse.ArgumentParser(
        description="离线核验审计证明包（perf-approvals-audit-proof/1）。"
    )
    parser.add_argument("bundle", type=Path, help="证明包 JSON 文件")
    parser.add_argument("--public-key", required=True, type=Path, help="日志的 Ed25519 公钥（PEM）")
    arguments = parser.parse_args(argv)
    try:
        public_key = load_public_key(arguments.public_key)
        checkpoint, proven = verify_bundle(load_bundle(arguments.bundle), public_key)
    except BundleError as error:
        print(f"验证失败：{error}", file=sys.stderr)
        return 1
    print("验证通过：检查点签名有效，证明包中的每个事件都已证明包含在审计日志中。")
    print(f"日志：{checkpoint.origin.removeprefix(ORIGIN_PREFIX)}")
    print(
        f"检查点：树大小 {checkpoint.size}，根哈希 {checkpoint.root.hex()}，"
        f"签发时间 {_format_time(checkpoint.at)}"
    )
    print(f"已证明的事件：{proven} 个")
    return 0


if __name__ == "__main__":
    sys.exit(main())
