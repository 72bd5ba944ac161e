"""The verifier's reader thread: rows arrive in order, its errors reach the verifier, and it
stops (and lets go of the connection) when the verifier stops reading early."""

import threading

import pytest

from audit.verification import _read_ahead


def _numbers(count: int, fail_at: int | None = None):
    def fetch(put):
        for number in range(count):
            if number == fail_at:
                raise RuntimeError("连接中断")
            if not put([number]):
                return

    return fetch


def _drain(chunks, seen: list[int]) -> None:
    for chunk in chunks:
        seen.extend(chunk)


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "audit-verify-reader"]


def test_chunks_arrive_in_order():
    assert [chunk[0] for chunk in _read_ahead(_numbers(50))] == list(range(50))
    assert _readers() == []


def test_an_error_while_reading_reaches_the_verifier():
    seen: list[int] = []
    with pytest.raises(RuntimeError, match="连接中断"):
        _drain(_read_ahead(_numbers(50, fail_at=7)), seen)
    assert seen == list(range(7))
    assert _readers() == []


def test_stopping_early_stops_the_reader():
    chunks = _read_ahead(_numbers(10_000))
    assert next(chunks) == [0]
    chunks.close()
    assert _readers() == []
