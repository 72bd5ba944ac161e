"""The offline verifier (tools/verify_audit_bundle.py), run as an auditor would run it.

A small log is built in memory, a checkpoint signed, a bundle written; the script runs in a
subprocess, isolated (-I) from a directory of its own, and must prove the bundle or name the
first thing wrong with it.
"""

import ast
import copy
import importlib.util
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import merkle
from audit.bundle import FORMAT, build_bundle
from audit.signing import public_key_pem, sign_checkpoint, sign_note, verifier_key

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_audit_bundle.py"
LOG_ID = "5f0c2a9e-1d3b-4e8a-b7c6-0a9d8e7f6b5c"
ORIGIN = f"perf-approvals/{LOG_ID}"
AT = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)


def load_tool():
    spec = importlib.util.spec_from_file_location("verify_audit_bundle", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


tool = load_tool()


def event(number, declaration):
    """An audit event's canonical fields, as the log would hand them to the tree."""
    return {
        "id": number,
        "declaration_id": declaration,
        "seq": number,
        "action": "approve" if number % 2 else "submit",
        "actor_name": "市财政局业务股室 王芳",
        "stage": "finance",
        "opinion": f"同意。第 {number} 项审核意见",
        "at": f"2026-04-{number + 1:02d}T09:00:00+00:00",
        "details": {"digest": f"{number:064x}"},
    }


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def log():
    """13 events across three declarations; the checkpoint seals the first 11."""
    fields = [event(number, 7 if number % 3 == 0 else number % 3) for number in range(13)]
    store = merkle.MemoryStore(merkle.leaf_hash(merkle.canonical_leaf_data(f)) for f in fields)
    return fields, store


@pytest.fixture
def bundle(key, log):
    fields, store = log
    note = sign_checkpoint(origin=ORIGIN, size=11, root=store.root(11), at=AT, private_key=key)
    events = [(index, f) for index, f in enumerate(fields[:11]) if f["declaration_id"] == 7]
    return build_bundle(
        log_id=LOG_ID,
        checkpoint_note=note,
        size=11,
        events=events,
        store=store,
        public_key_hint=verifier_key(ORIGIN, key.public_key()),
    )


@pytest.fixture
def run(tmp_path, key):
    """Write a bundle and the public key, copy the script to an empty directory, run it."""
    workdir = tmp_path / "auditor"
    workdir.mkdir()
    script = shutil.copy(TOOL, workdir / "verify_audit_bundle.py")
    key_file = workdir / "public.pem"
    key_file.write_text(public_key_pem(key))

    def run_tool(bundle, public_key=None):
        bundle_file = workdir / "bundle.json"
        if isinstance(bundle, str):
            bundle_file.write_text(bundle, encoding="utf-8")
        else:
            bundle_file.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
        if public_key is not None:
            key_file.write_text(public_key_pem(public_key))
        return subprocess.run(
            [sys.executable, "-I", script, "bundle.json", "--public-key", "public.pem"],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run_tool


def resign(bundle, key, text):
    """The bundle with its checkpoint replaced by `text` signed with `key`."""
    changed = copy.deepcopy(bundle)
    changed["checkpoint"] = sign_note(text, key, ORIGIN)
    return changed


# --- what an auditor sees --------------------------------------------------------------------


def test_a_genuine_bundle_verifies(run, bundle, log):
    """Exit 0 and a summary: the log, the signed size and root, how many events."""
    result = run(bundle)
    assert result.returncode == 0, result.stderr
    assert "验证通过" in result.stdout
    assert f"日志：{LOG_ID}" in result.stdout
    assert f"树大小 11，根哈希 {log[1].root(11).hex()}" in result.stdout
    assert "签发时间 2026-05-01T08:30:00Z" in result.stdout
    assert "已证明的事件：4 个" in result.stdout
    assert result.stderr == ""


def test_an_altered_opinion_is_named(run, bundle):
    """Change one event's opinion: exit 1 naming that event (position, leaf, id)."""
    bundle["events"][2]["event"]["opinion"] = "不同意"
    result = run(bundle)
    assert result.returncode == 1
    assert "验证失败：第 3 个事件（叶序号 6，id 6，seq 6，action submit）" in result.stderr
    assert "内容与它的叶哈希不符" in result.stderr
    assert result.stdout == ""


def test_an_altered_opinion_fails_the_proof_even_without_leaf_hashes(run, bundle):
    """leaf_hash is optional: dropping it does not let an altered event through."""
    for entry in bundle["events"]:
        del entry["leaf_hash"]
    assert run(bundle).returncode == 0
    bundle["events"][1]["event"]["opinion"] = "同意。"
    result = run(bundle)
    assert result.returncode == 1
    assert "第 2 个事件（叶序号 3，id 3" in result.stderr
    assert "包含证明不成立" in result.stderr


def test_an_altered_signature_fails(run, bundle):
    """One character of the signature (after the key ID) changed: the checkpoint is refused."""
    head, blob = bundle["checkpoint"].rstrip("\n").rsplit(" ", 1)
    blob = ("B" if blob[20] == "A" else "A").join([blob[:20], blob[21:]])
    bundle["checkpoint"] = f"{head} {blob}\n"
    result = run(bundle)
    assert result.returncode == 1
    assert "检查点签名无效" in result.stderr


def test_an_altered_proof_element_fails(run, bundle):
    """One hex digit of one proof hash changed: that event's proof fails."""
    proof = bundle["events"][3]["inclusion_proof"]
    proof[1] = ("0" if proof[1][0] != "0" else "1") + proof[1][1:]
    result = run(bundle)
    assert result.returncode == 1
    assert "第 4 个事件（叶序号 9，id 9" in result.stderr
    assert "包含证明不成立" in result.stderr


def test_an_altered_tree_size_fails(run, bundle):
    """The size line edited in the signed note breaks its signature."""
    bundle["checkpoint"] = bundle["checkpoint"].replace(f"{ORIGIN}\n11\n", f"{ORIGIN}\n12\n")
    result = run(bundle)
    assert result.returncode == 1
    assert "检查点签名无效" in result.stderr


def test_a_tree_size_signed_again_by_another_key_fails(run, bundle, key):
    """Whoever rebuilds a checkpoint without the signing key signs it with their own key:
    refused, and the bundle's key hint is shown as differing from the auditor's key."""
    forger = Ed25519PrivateKey.generate()
    text = bundle["checkpoint"].split("\n\n")[0] + "\n"
    forged = resign(bundle, forger, text)
    forged["public_key_hint"] = verifier_key(ORIGIN, forger.public_key())
    result = run(forged)
    assert result.returncode == 1
    assert "检查点没有所给公钥的签名" in result.stderr
    assert "证明包提示的签名公钥是" in result.stderr


def test_the_wrong_public_key_fails(run, bundle):
    """An auditor given another log's key gets a refusal, never a pass."""
    result = run(bundle, public_key=Ed25519PrivateKey.generate())
    assert result.returncode == 1
    assert "检查点没有所给公钥的签名" in result.stderr


def test_a_wrong_origin_format_fails(run, bundle, key):
    """A note correctly signed but whose origin is not perf-approvals/<id> is refused."""
    lines = bundle["checkpoint"].split("\n\n")[0].split("\n")
    result = run(resign(bundle, key, "\n".join([f"approvals/{LOG_ID}", *lines[1:]]) + "\n"))
    assert result.returncode == 1
    assert f"检查点来源“approvals/{LOG_ID}”格式错误" in result.stderr


def test_a_checkpoint_of_another_log_fails(run, bundle):
    """The bundle claims one log, the checkpoint names another."""
    bundle["log_id"] = "another-log"
    result = run(bundle)
    assert result.returncode == 1
    assert f"检查点属于“{ORIGIN}”，而证明包声明的日志是“perf-approvals/another-log”" in (
        result.stderr
    )


def test_an_event_moved_to_another_position_fails(run, bundle):
    """An event claiming another event's leaf index (reordered rows) is refused."""
    bundle["events"][0]["leaf_index"] = bundle["events"][1]["leaf_index"]
    result = run(bundle)
    assert result.returncode == 1
    assert "第 1 个事件（叶序号 3，id 0" in result.stderr


def test_an_event_beyond_the_checkpoint_fails(run, bundle, log):
    """An event after the signed size is not proven by that checkpoint."""
    fields, store = log
    later = build_bundle(
        log_id=LOG_ID, checkpoint_note="", size=13, events=[(12, fields[12])], store=store
    )["events"][0]
    bundle["events"].append(later)
    result = run(bundle)
    assert result.returncode == 1
    assert "第 5 个事件（叶序号 12，id 12" in result.stderr
    assert "不小于树大小 11" in result.stderr


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: "{ not json", "不是合法的 JSON"),
        (lambda b: json.dumps([b]), "顶层应是 JSON 对象"),
        (lambda b: {**b, "format": "other/1"}, "format 应为"),
        (lambda b: {**b, "log_id": "../x"}, "log_id 缺失或无效"),
        (lambda b: {**b, "events": []}, "events 应是非空列表"),
        (lambda b: {**b, "checkpoint": None}, "检查点不是文本"),
        (lambda b: {**b, "checkpoint": "x\n"}, "缺少正文与签名之间的空行"),
        (lambda b: {**b, "events": [{"leaf_index": 0}]}, "第 1 个事件格式错误"),
        (
            lambda b: {**b, "events": [{**b["events"][0], "leaf_index": "6"}]},
            "leaf_index 应是非负整数",
        ),
        (
            lambda b: {**b, "events": [{**b["events"][0], "inclusion_proof": ["zz"]}]},
            "inclusion_proof 应是 64 位十六进制哈希的列表",
        ),
        (
            lambda b: json.dumps(b).replace('"log_id"', '"log_id": "x", "log_id"', 1),
            "键“log_id”出现了不止一次",
        ),
    ],
)
def test_malformed_bundles_are_named(run, bundle, damage, message):
    """Broken files and missing or ill-typed fields: exit 1 with the reason, never a trace."""
    result = run(damage(bundle))
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_files_are_named(tmp_path):
    """No such bundle or key file: exit 1 naming the file."""
    result = subprocess.run(
        [sys.executable, "-I", TOOL, "nope.json", "--public-key", "nope.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "无法读取公钥文件 nope.pem" in result.stderr


def test_without_a_public_key_the_usage_is_shown(tmp_path):
    """The key is never taken from the bundle: leaving it out is a usage error (exit 2)."""
    result = subprocess.run(
        [sys.executable, "-I", TOOL, "bundle.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--public-key" in result.stderr


# --- the script stays standalone and in step with audit.merkle --------------------------------


def test_the_script_imports_only_the_standard_library_and_cryptography():
    """Nothing from the project: an auditor runs it with Python and cryptography alone."""
    tree = ast.parse(TOOL.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == {"cryptography"}


def test_the_script_and_the_bundle_agree_on_the_format():
    """One format string on both sides."""
    assert tool.FORMAT == FORMAT


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(fields=st.dictionaries(st.text(max_size=10), json_values, max_size=8))
def test_canonical_leaf_data_is_the_same_in_the_script(fields):
    """The script's copy encodes any event exactly as audit.merkle does, and the JSON an
    auditor's file holds decodes back to the same bytes."""
    assert tool.canonical_leaf_data(fields) == merkle.canonical_leaf_data(fields)
    round_tripped = json.loads(json.dumps(fields, ensure_ascii=False))
    assert tool.canonical_leaf_data(round_tripped) == merkle.canonical_leaf_data(fields)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), count=st.integers(1, 120))
def test_inclusion_verification_is_the_same_in_the_script(data, count):
    """For random trees, good proofs and proofs with one flipped bit, both verifiers agree."""
    hashes = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(count)]
    store = merkle.MemoryStore(hashes)
    size = data.draw(st.integers(1, count))
    index = data.draw(st.integers(0, size - 1))
    proof = merkle.inclusion_proof(store, index, size)
    root = store.root(size)
    assert tool.verify_inclusion(hashes[index], index, size, proof, root) is True
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        altered = [*proof]
        altered[position] = bytes([proof[position][0] ^ 1]) + proof[position][1:]
        assert tool.verify_inclusion(hashes[index], index, size, altered, root) is False
    other = data.draw(st.integers(0, size + 2))
    assert tool.verify_inclusion(hashes[index], other, size, proof, root) == (
        merkle.verify_inclusion(hashes[index], other, size, proof, root)
    )
