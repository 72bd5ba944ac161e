"""The audit page shows the newest signed checkpoint and, for auditors, links each
declaration's proof bundle (GET /api/declarations/{id}/audit-proof/)."""

from io import StringIO

import pytest
from django.core.management import call_command

from audit.checkpoints import seal_checkpoint
from declarations.stages import Stage
from tests.review.helpers import EZ_PROJECT, advance_to, page_text, seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(demo):
    return advance_to(seed(EZ_PROJECT), Stage.DEPARTMENT).declaration


def test_the_audit_page_says_when_nothing_is_signed_yet(web, submitted):
    text = page_text(web("ez_auditor").get("/audit/"))
    assert "尚无签名检查点" in text


def test_the_audit_page_shows_the_newest_checkpoint_and_links_the_proof(web, submitted):
    checkpoint = seal_checkpoint().checkpoint
    response = web("ez_auditor").get("/audit/")
    text = page_text(response)
    assert f"最新签名检查点：共 {checkpoint.size} 个事件" in text
    assert f"/api/declarations/{submitted.pk}/audit-proof/" in response.content.decode()
    bundle = web("ez_auditor").get(f"/api/declarations/{submitted.pk}/audit-proof/")
    assert bundle.status_code == 200


def test_an_administrator_reads_the_log_without_proof_links(web, submitted):
    """Proof bundles are for the jurisdiction's auditors and the declaration's unit."""
    seal_checkpoint()
    response = web("admin").get("/audit/")
    assert response.status_code == 200
    assert "/audit-proof/" not in response.content.decode()


def test_the_audit_page_shows_the_last_verification(web, submitted):
    """After `verify_audit` the page says when it ran and what it found."""
    seal_checkpoint()
    assert "尚未运行完整性核验" in page_text(web("ez_auditor").get("/audit/"))
    call_command("verify_audit", stdout=StringIO(), stderr=StringIO())
    text = page_text(web("ez_auditor").get("/audit/"))
    assert "最近一次完整性核验" in text
    assert "通过" in text
    assert "未通过" not in text
