"""The benchmark itself is tested at its small size: it completes, prints its table, writes every
figure as JSON, and the data it generates is what the services would have written (a valid audit
log, the promised counts). Figures are printed, never asserted: speed is not a test's business."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.verification import verify_audit
from bench.generate import SIZES
from bench.runner import DATA_SET_TABLE, INBOX_ROWS
from declarations.models import Declaration, Stamp
from review.models import ReviewProcess

RUN_KEYS = {
    "size",
    "seed",
    "at",
    "machine",
    "generation_seconds",
    "data",
    "inbox",
    "declaration_page",
    "approvals",
    "verify_audit",
    "sweep",
}


def test_bench_refuses_anything_but_postgresql(demo):
    """On the embedded SQLite the command stops with a clear message in Chinese and English."""
    if connection.vendor == "postgresql":
        pytest.skip("this check is about SQLite")
    with pytest.raises(CommandError, match="PostgreSQL") as refused:
        call_command("bench", "--size", "small")
    assert "基准测试只能在 PostgreSQL 上运行" in str(refused.value)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bench_refuses_a_database_holding_other_data(demo):
    """The demo data is not the benchmark's: without --force nothing is emptied."""
    declarations = Declaration.objects.count()
    with pytest.raises(CommandError, match="--force"):
        call_command("bench", "--size", "small")
    assert Declaration.objects.count() == declarations


def _forget_data_set() -> None:
    """The data set's description is a table outside the models, which no flush empties."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {DATA_SET_TABLE}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_measuring_needs_a_generated_data_set(demo):
    with pytest.raises(CommandError, match="没有已生成的基准数据"):
        call_command("bench", "--size", "small", "--measure-only")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_small_benchmark_runs_and_its_data_is_what_the_services_write(demo, tmp_path, request):
    """Generated once and measured afterwards (--generate-only, then --measure-only), the way a
    full-size data set is generated once and its copies measured."""
    generated, output, results = StringIO(), StringIO(), tmp_path / "results.json"
    request.addfinalizer(_forget_data_set)
    call_command(
        "bench",
        "--size",
        "small",
        "--no-reset",
        "--force",
        "--generate-only",
        "--output",
        str(tmp_path / "generated.json"),
        stdout=generated,
    )
    assert "--measure-only" in generated.getvalue()
    with pytest.raises(CommandError, match="规模是 small，不是 medium"):
        call_command("bench", "--size", "medium", "--measure-only")
    call_command(
        "bench",
        "--size",
        "small",
        "--measure-only",
        "--output",
        str(results),
        stdout=output,
    )

    printed = output.getvalue()
    for _key, label in INBOX_ROWS:
        assert label in printed
    assert "approvals/s, 2 process(es)" in printed
    assert "verify_audit over the whole log" in printed
    run = json.loads(results.read_text(encoding="utf-8"))["runs"][0]
    assert set(run) >= RUN_KEYS
    assert {key for key, _label in INBOX_ROWS} <= set(run["inbox"])
    for figure in run["inbox"].values():
        assert {"median_ms", "p95_ms", "queries"} <= set(figure)
        assert figure.get("status", 200) == 200
    assert run["declaration_page"]["status"] == 200
    assert run["declaration_page"]["rounds"] == SIZES["small"].history_rounds
    assert run["approvals"]["1"]["approvals"] > 0
    assert run["approvals"]["2"]["approvals"] > 0

    # The promised data set: about 300 declarations with their indicators, viewflow's rows and
    # ours consistent, a tenth waiting for the busy finance reviewer, and a log that verifies.
    data = run["data"]
    assert 300 <= data["declarations"] <= 320
    assert data["indicators"] >= 10 * data["declarations"] * 0.9
    assert data["viewflow_tasks"] >= 7 * data["declarations"]
    assert 25 <= data["busy_reviewer_waiting"] <= 40
    assert data["audit_chains"] >= data["declarations"]
    assert run["verify_audit"]["problems"] == 0
    assert verify_audit() == []
    assert ReviewProcess.objects.exclude(declaration__in=Declaration.objects.all()).count() == 0
    assert Stamp.objects.count() > data["declarations"]

    # A second sweep after the one that caught up sends nothing.
    assert run["sweep"]["overdue_tasks"] > 0
    assert run["sweep"]["second_run_sent"] == 0
