"""Signed checkpoints: C2SP signed notes with Ed25519, checked against published vectors.

Vectors: the example key and note of Go's golang.org/x/mod/sumdb/note (the reference
implementation of the signed-note format; Ed25519 is deterministic, so the note must come out
byte for byte) and the example verifier key and note of the C2SP signed-note specification.
"""

import base64
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit import signing
from audit.signing import (
    Checkpoint,
    NoteError,
    SigningKeyError,
    create_key_file,
    generate_key_pem,
    key_id,
    load_or_create_private_key,
    load_private_key,
    open_note,
    origin_for,
    parse_and_verify,
    public_key_from_pem,
    public_key_pem,
    sign_checkpoint,
    sign_note,
    verifier_key,
)

GO_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
SPEC_VERIFIER_KEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

LOG_ID = "0d4c6a52-2b1e-4c55-9d7e-3f1b8e0a9c21"
ORIGIN = f"perf-approvals/{LOG_ID}"
ROOT = bytes(range(32))
AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def other_key():
    return Ed25519PrivateKey.generate()


def signed(key, **changes):
    fields = {"origin": ORIGIN, "size": 1234, "root": ROOT, "at": AT, "private_key": key}
    return sign_checkpoint(**{**fields, **changes})


# --- the signed-note format ------------------------------------------------------------------


def test_signing_reproduces_the_go_reference_note():
    """Same key, same text: the very note golang.org/x/mod/sumdb/note prints, key ID c74f20a3."""
    go_key = Ed25519PrivateKey.from_private_bytes(GO_SEED)
    assert sign_note(GO_TEXT, go_key, "PeterNeumann") == GO_NOTE
    assert key_id("PeterNeumann", go_key.public_key()).hex() == "c74f20a3"
    assert verifier_key("PeterNeumann", go_key.public_key()) == GO_VERIFIER_KEY
    assert open_note(GO_NOTE, go_key.public_key()) == GO_TEXT


def test_the_c2sp_specification_example_verifies():
    """The spec's example note opens with the spec's example verifier key."""
    name, hex_id, encoded = SPEC_VERIFIER_KEY.split("+")
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded)[1:])
    assert key_id(name, public).hex() == hex_id
    assert verifier_key(name, public) == SPEC_VERIFIER_KEY
    assert open_note(SPEC_NOTE, public) == "This is an example message.\n"
    assert open_note(SPEC_NOTE.encode("utf-8"), public, key_name="example.com/foo")


def test_a_checkpoint_is_the_c2sp_text_signed_by_the_origin():
    """Four lines (origin, size, base64 root, UTC time), a blank line, one signature line
    named after the origin whose key ID is derived as C2SP specifies."""
    key = Ed25519PrivateKey.from_private_bytes(GO_SEED)
    note = signed(key, at=datetime(2026, 5, 1, 16, 0, tzinfo=timezone(timedelta(hours=8))))
    text, signature_line = note.split("\n\n")
    assert text == f"{ORIGIN}\n1234\n{base64.b64encode(ROOT).decode()}\n2026-05-01T08:00:00Z"
    dash, name, blob = signature_line.rstrip("\n").split(" ")
    assert (dash, name) == ("—", ORIGIN)
    raw = base64.b64decode(blob)
    assert raw[:4] == key_id(ORIGIN, key.public_key())
    key.public_key().verify(raw[4:], (text + "\n").encode())


def test_parse_and_verify_returns_what_was_signed(key):
    """Origin, size, root, time (in UTC, microseconds kept) and the log id come back."""
    at = datetime(2026, 5, 1, 8, 0, 1, 250_000, tzinfo=UTC)
    checkpoint = parse_and_verify(signed(key, at=at), key.public_key())
    assert checkpoint == Checkpoint(origin=ORIGIN, size=1234, root=ROOT, at=at)
    assert checkpoint.log_id == LOG_ID
    assert checkpoint.at.utcoffset() == timedelta(0)


def test_an_empty_tree_can_be_sealed(key):
    """Size 0 is written as 0 and read back."""
    empty = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    checkpoint = parse_and_verify(signed(key, size=0, root=empty), key.public_key())
    assert (checkpoint.size, checkpoint.root) == (0, empty)


@pytest.mark.parametrize(
    ("line", "replacement"),
    [
        ("1234", "1235"),
        ("1234", "12340"),
        ("2026-05-01T08:00:00Z", "2026-05-01T09:00:00Z"),
        (ORIGIN, "perf-approvals/another-log"),
        (base64.b64encode(ROOT).decode(), base64.b64encode(bytes(32)).decode()),
    ],
)
def test_any_change_to_the_signed_text_is_refused(key, line, replacement):
    """A size, time, origin or root edited after signing breaks the signature."""
    tampered = signed(key).replace(line + "\n", replacement + "\n", 1)
    with pytest.raises(NoteError, match="签名与内容不符"):
        parse_and_verify(tampered, key.public_key())


def test_a_changed_signature_is_refused(key):
    """One flipped bit in the signature itself is refused."""
    note = signed(key)
    head, blob = note.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[10] ^= 1
    with pytest.raises(NoteError, match="签名与内容不符"):
        parse_and_verify(f"{head} {base64.b64encode(raw).decode()}\n", key.public_key())


def test_a_checkpoint_signed_by_another_key_is_refused(key, other_key):
    """Whoever holds SECRET_KEY or the database but not the signing key cannot make one."""
    with pytest.raises(NoteError, match="没有所给公钥的签名"):
        parse_and_verify(signed(other_key), key.public_key())


def test_a_forged_signature_under_our_key_id_is_refused(key, other_key):
    """Someone who copies our key name and key ID onto their own signature gets caught:
    a signature that names our key must verify."""
    forged = signed(other_key)
    head, blob = forged.rstrip("\n").rsplit(" ", 1)
    raw = key_id(ORIGIN, key.public_key()) + base64.b64decode(blob)[4:]
    with pytest.raises(NoteError, match="签名与内容不符"):
        parse_and_verify(f"{head} {base64.b64encode(raw).decode()}\n", key.public_key())


def test_cosignatures_by_other_keys_are_ignored(key, other_key):
    """A witness's extra signature line does not stop our key's signature from counting."""
    note = signed(key)
    text = note.split("\n\n")[0] + "\n"
    witness_line = sign_note(text, other_key, "witness.example/w1").split("\n\n")[1]
    cosigned = note + witness_line
    assert parse_and_verify(cosigned, key.public_key()).size == 1234
    assert parse_and_verify(cosigned, other_key.public_key(), key_name="witness.example/w1")


def test_an_expected_key_name_must_match(key):
    """With key_name given, a signature under another name does not count."""
    note = signed(key, key_name="perf-approvals/signer-2026")
    assert parse_and_verify(note, key.public_key(), key_name="perf-approvals/signer-2026")
    with pytest.raises(NoteError, match="名为“perf-approvals/x”的签名"):
        parse_and_verify(note, key.public_key(), key_name="perf-approvals/x")


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("no signatures at all\n", "缺少正文与签名之间的空行"),
        (f"{ORIGIN}\n1\n\n— name AAAA\n", "第 1 个签名行"),
        (f"{ORIGIN}\n1\n\n— name AAAAAAAA", "没有以换行结尾"),
        (f"{ORIGIN}\n1\n\n- name AAAAAAAA\n", "第 1 个签名行"),
        (f"{ORIGIN}\n1\n\n— name not*base64\n", "第 1 个签名行"),
        (f"{ORIGIN}\n1\n\n— na+me AAAAAAAA\n", "第 1 个签名行"),
        (f"{ORIGIN}\x07\n1\n\n— name AAAAAAAA\n", "控制字符"),
        ("x\n\n" + "— name AAAAAAAA\n" * 101, "签名超过 100 个"),
        ("x" * 70_000 + "\n\n— name AAAAAAAA\n", "超过 65536 字节"),
        (b"\xff\xfe\n\n", "UTF-8"),
    ],
)
def test_malformed_notes_are_refused_with_the_reason(key, note, message):
    """Broken framing is named, in Chinese, before any signature is checked."""
    with pytest.raises(NoteError, match=message):
        open_note(note, key.public_key())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\n", "正文应有 4 行"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\n2026-05-01T08:00:00Z\nx\n", "4 行"),
        (f"other/{LOG_ID}\n1\n{base64.b64encode(ROOT).decode()}\n2026-05-01T08:00:00Z\n", "来源"),
        (
            f"perf-approvals/a b\n1\n{base64.b64encode(ROOT).decode()}\n2026-05-01T08:00:00Z\n",
            "来源",
        ),
        (f"{ORIGIN}\n01\n{base64.b64encode(ROOT).decode()}\n2026-05-01T08:00:00Z\n", "前导零"),
        (f"{ORIGIN}\n-1\n{base64.b64encode(ROOT).decode()}\n2026-05-01T08:00:00Z\n", "十进制"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT[:31]).decode()}\n2026-05-01T08:00:00Z\n", "32 字节"),
        (f"{ORIGIN}\n1\n{ROOT.hex()}\n2026-05-01T08:00:00Z\n", "根哈希"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\n2026-05-01T16:00:00+08:00\n", "UTC"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\n2026-05-01T08:00:00\n", "ISO 8601"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\nyesterday\n", "ISO 8601"),
    ],
)
def test_signed_bodies_that_are_not_checkpoints_are_refused(key, body, message):
    """A correctly signed text that is not our checkpoint format names the bad line."""
    with pytest.raises(NoteError, match=message):
        parse_and_verify(sign_note(body, key, "signer"), key.public_key())


def test_arguments_that_cannot_make_a_checkpoint_are_refused(key):
    """A naive time, a negative size, a short root or a bad origin never get signed."""
    with pytest.raises(ValueError, match="时区"):
        signed(key, at=datetime(2026, 5, 1, 8, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="非负整数"):
        signed(key, size=-1)
    with pytest.raises(ValueError, match="32 字节"):
        signed(key, root=b"short")
    with pytest.raises(NoteError, match="来源"):
        signed(key, origin="approvals/x")
    with pytest.raises(ValueError, match="密钥名"):
        signed(key, key_name="has space")


@pytest.mark.parametrize("log_id", ["", "a b", "a+b", "../etc", ".hidden", "x" * 129, "日志"])
def test_log_ids_are_safe_names(log_id):
    """A log id must be usable as a file name and an origin: letters, digits, . _ -."""
    with pytest.raises(ValueError, match="日志标识"):
        origin_for(log_id)


# --- key files -------------------------------------------------------------------------------


def test_generated_keys_are_unencrypted_pkcs8_ed25519():
    """audit_keygen's PEM loads as an Ed25519 key without a password."""
    pem = generate_key_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert isinstance(serialization.load_pem_private_key(pem, password=None), Ed25519PrivateKey)
    assert generate_key_pem() != pem


def test_a_key_file_is_private_and_never_overwritten(tmp_path):
    """The file is mode 600 in a directory it creates; a second create refuses and leaves
    the first key in place (losing it would orphan every checkpoint it signed)."""
    path = tmp_path / "var" / "audit-signing-key.pem"
    key = create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        create_key_file(path)
    assert public_key_pem(load_private_key(path)) == public_key_pem(key)
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_the_embedded_default_creates_its_key_once(tmp_path):
    """First use creates the key; later uses load the same one."""
    path = tmp_path / "var" / "key.pem"
    first = load_or_create_private_key(path)
    assert public_key_pem(load_or_create_private_key(path)) == public_key_pem(first)


def test_processes_racing_to_create_the_key_all_get_the_same_one(tmp_path):
    """Eight processes starting at once (web workers on first use) end up with one key."""
    path = tmp_path / "var" / "key.pem"
    script = (
        "import sys; from audit.signing import load_or_create_private_key, public_key_pem;"
        "print(public_key_pem(load_or_create_private_key(sys.argv[1])))"
    )
    root = os.path.dirname(os.path.dirname(signing.__file__))
    environment = {**os.environ, "PYTHONPATH": root}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
        )
        for _ in range(8)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0] * 8, outputs
    assert len({stdout for stdout, _ in outputs}) == 1
    assert outputs[0][0].startswith(b"-----BEGIN PUBLIC KEY-----")


def test_public_key_pem_round_trips_and_verifies(key):
    """audit_public_key's PEM is what an auditor passes to the offline verifier."""
    pem = public_key_pem(key)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert parse_and_verify(signed(key), public_key_from_pem(pem)).size == 1234
    assert parse_and_verify(signed(key), public_key_from_pem(pem.encode())).size == 1234


def test_a_missing_key_file_says_how_to_make_one(tmp_path):
    """The error names the path and the command that writes a key."""
    path = tmp_path / "nope.pem"
    with pytest.raises(SigningKeyError, match=f"找不到审计签名密钥文件 {path}.*audit_keygen"):
        load_private_key(path)


def test_key_files_of_the_wrong_kind_are_refused(tmp_path, key):
    """Not PEM, encrypted, or not Ed25519: each refused with its own reason."""
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"not a key")
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    elliptic = tmp_path / "p256.pem"
    elliptic.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    for path, reason in [(garbage, "不是 PEM"), (encrypted, "已加密"), (elliptic, "不是 Ed25519")]:
        path.chmod(0o600)
        with pytest.raises(SigningKeyError, match=reason):
            load_private_key(path)
    with pytest.raises(SigningKeyError, match="不是 PEM 格式的公钥"):
        public_key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    p256_public = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(SigningKeyError, match="不是 Ed25519 公钥"):
        public_key_from_pem(
            p256_public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def test_a_key_readable_by_others_is_used_but_flagged(tmp_path, caplog):
    """A world-readable key still loads (the site keeps running) and a warning says so."""
    path = tmp_path / "key.pem"
    path.write_bytes(generate_key_pem())
    path.chmod(0o644)
    load_private_key(path)
    assert "readable by other users" in caplog.text
