"""The whole journey in a real browser (Playwright driving Debian's chromium), through the pages
alone: 南岳's 10万 relocation declaration goes from draft to approved, each demo role in turn,
with one batch approval and one return and resubmission, at desktop (1366×900) and phone
(390×844) sizes.

On every page: no server error and no internal code (role, stage, status, action or task status
codes) in the visible text; at phone size the inbox, the task page and the notifications do not
scroll sideways. Screenshots go to tests/artifacts/ (git-ignored) for a person to look at."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from audit.models import AuditAction
from declarations.models import Declaration, DeclarationStatus, Stage
from organisations.models import Role
from tests.conftest import CHROMIUM
from tests.review.helpers import NY, NY_GRID, NY_MOVE, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
TASK_STATUSES = ("NEW", "ASSIGNED", "STARTED", "DONE", "CANCELED", "ERROR")
CODES = sorted(
    {
        *Role.values,
        *Stage.values,
        *DeclarationStatus.values,
        *AuditAction.values,
        *TASK_STATUSES,
    }
)
# A code shows as a word of its own (snake_case codes included); Chinese text around it is fine.
CODE_PATTERN = re.compile(r"(?<![A-Za-z_])(" + "|".join(map(re.escape, CODES)) + r")(?![A-Za-z_])")
RETURN_OPINION = "请补充资金测算依据后重新提交"


class Journey:
    """One browser tab at one size, logging in as each demo role in turn."""

    def __init__(self, page, base_url: str, size: str):
        self.page = page
        self.base_url = base_url
        self.size = size
        self.step = 0
        self.server_errors: list[str] = []
        page.on(
            "response",
            lambda r: self.server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )
        page.on("dialog", lambda dialog: dialog.accept())

    @property
    def phone(self) -> bool:
        return self.size == "phone"

    def shot(self, name: str) -> None:
        """Save a full-page screenshot and check the page a person sees."""
        self.step += 1
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(
            path=ARTIFACTS / f"{self.size}-{self.step:02d}-{name}.png", full_page=True
        )
        self.check_visible_text(name)

    def check_visible_text(self, name: str) -> None:
        assert not self.server_errors, self.server_errors
        text = self.page.inner_text("body")
        codes = sorted({m.group(1) for m in CODE_PATTERN.finditer(text)})
        assert not codes, f"internal codes {codes} visible on {name} ({self.page.url})"

    def check_no_sideways_scroll(self, name: str) -> None:
        if not self.phone:
            return
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES["phone"][0], f"{name} is {width}px wide at 390px"

    def menu(self, link: str) -> None:
        """Follow a link of the top bar: on a phone, open the folded menu first."""
        summary = self.page.locator("header.top details.menu > summary")
        target = self.page.locator("header.top nav").get_by_role("link", name=link).first
        if self.phone:
            assert summary.is_visible()
            assert not target.is_visible(), "the menu should be folded on a phone"
            summary.click()
        else:
            assert not summary.is_visible()
        target.click()
        self.page.wait_for_load_state()

    def log_in(self, username: str) -> None:
        self.page.context.clear_cookies()
        self.page.goto(self.base_url + "/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state()
        assert "/accounts/login/" not in self.page.url, f"{username} could not log in"

    def log_out(self) -> None:
        if self.phone:
            self.page.locator("header.top details.menu > summary").click()
        self.page.get_by_role("button", name="退出").click()
        self.page.wait_for_load_state()

    def open_declaration(self, declaration_id: int) -> None:
        self.menu("申报表")
        self.page.locator(f'a[href="/declarations/{declaration_id}/"]').first.click()
        self.page.wait_for_load_state()

    def submit(self, declaration_id: int, name: str) -> None:
        self.open_declaration(declaration_id)
        self.shot(f"{name}-before")
        self.page.get_by_role("button", name="提交", exact=True).click()
        self.page.wait_for_load_state()
        self.shot(name)
        assert "审核中" in self.page.inner_text("body")

    def open_task(self, declaration_name: str, who: str) -> None:
        """From the inbox, open the declaration's task, claiming it if it waits in the queue."""
        self.menu("待办任务")
        self.check_no_sideways_scroll("the inbox")
        self.shot(f"{who}-inbox")
        self.page.get_by_role("link", name=declaration_name).first.click()
        self.page.wait_for_load_state()
        claim = self.page.get_by_role("button", name="认领")
        if claim.count():
            claim.first.click()
            self.page.wait_for_load_state()
        self.check_no_sideways_scroll("the task page")
        self.shot(f"{who}-task")

    def approve(self, declaration_name: str, who: str, opinion: str) -> None:
        self.open_task(declaration_name, who)
        self.decide("同意并盖章", opinion)
        assert "已同意并盖章" in self.page.inner_text("body")
        self.shot(f"{who}-approved")

    def decide(self, button: str, opinion: str) -> None:
        """Write the opinion and press the decision's button. With the sticky action bar (one
        opinion box, the buttons in #action-bar) or without it (a form per decision, 退回修改
        folded under 退回修改 / 不予通过)."""
        bar = self.page.locator("#action-bar")
        if bar.count():
            self.page.fill("#opinion", opinion)
            bar.get_by_role("button", name=button, exact=True).click()
        else:
            if button != "同意并盖章":
                self.page.get_by_text("退回修改 / 不予通过").click()
            action = {"同意并盖章": "approve", "退回修改": "return"}[button]
            form = self.page.locator(f"section.decision form[action$='/{action}/']")
            form.locator("textarea[name=opinion]").fill(opinion)
            form.get_by_role("button", name=button, exact=True).click()
        self.page.wait_for_load_state()

    def batch_approve(self, declaration_names: list[str], who: str, opinion: str) -> None:
        """批量同意 on the inbox: tick the tasks, one opinion, one button."""
        self.menu("待办任务")
        self.check_no_sideways_scroll("the inbox")
        for name in declaration_names:
            self.page.get_by_role("checkbox", name=f"选择“{name}”").check()
        self.page.get_by_label("审批意见").fill(opinion)
        self.shot(f"{who}-batch")
        self.page.get_by_role("button", name="批量同意").click()
        self.page.wait_for_load_state()
        assert f"已同意并盖章 {len(declaration_names)} 项。" in self.page.inner_text("body")
        self.shot(f"{who}-batch-approved")

    def return_for_revision(self, declaration_name: str, who: str) -> None:
        self.open_task(declaration_name, who)
        self.decide("退回修改", RETURN_OPINION)
        assert "已退回修改" in self.page.inner_text("body")
        self.shot(f"{who}-returned")

    def notifications(self, who: str) -> None:
        self.menu("通知")
        self.check_no_sideways_scroll("the notifications")
        self.shot(f"{who}-notifications")


@contextmanager
def browser_page(size: str) -> Iterator:
    """A page of Debian's chromium, driven by Playwright (no browser download), at one size.

    Playwright's driver runs an event loop in this thread while it is open, and Django refuses
    database queries there, so the test reads the database only before and after. Imported
    here: without the package the browser marker skips the test (fails it in CI) first."""
    from playwright.sync_api import sync_playwright

    width, height = SIZES[size]
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM))
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height},
                locale="zh-CN",
                is_mobile=size == "phone",
                has_touch=size == "phone",
            )
            yield context.new_page()
        finally:
            browser.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_declaration_goes_from_draft_to_approved_through_the_pages(demo, live_server, size):
    declaration = Declaration.objects.get(name=NY_MOVE, fiscal_year=2020)
    other = Declaration.objects.get(name=NY_GRID, fiscal_year=2020)
    assert declaration.status == other.status == DeclarationStatus.DRAFT
    assert declaration.budget == 10
    with browser_page(size) as page:
        run_the_journey(Journey(page, live_server.url, size), declaration, other)
    other.refresh_from_db()
    assert (other.status, other.stage) == (DeclarationStatus.SUBMITTED, Stage.DEPARTMENT)
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.APPROVED
    assert declaration.review_round == 2


def run_the_journey(journey: Journey, declaration: Declaration, other: Declaration) -> None:
    """The preparer submits both of 南岳's declarations; the head approves them in one batch;
    the department returns the 10万 one, which comes back and goes through every stage."""
    name = declaration.name
    reviewers = NY.reviewers

    journey.log_in(NY.preparer)
    journey.submit(declaration.pk, "preparer-submitted")
    journey.submit(other.pk, "preparer-submitted-other")
    journey.log_out()

    journey.log_in(reviewers[Stage.UNIT_HEAD])
    journey.batch_approve([name, other.name], "head", "同意申报")
    journey.log_out()

    journey.log_in(reviewers[Stage.DEPARTMENT])
    journey.return_for_revision(name, "department")
    journey.log_out()

    journey.log_in(NY.preparer)
    journey.notifications("preparer")
    assert "退回" in journey.page.inner_text("body")
    journey.submit(declaration.pk, "preparer-resubmitted")
    journey.log_out()

    journey.log_in(reviewers[Stage.UNIT_HEAD])
    journey.approve(name, "head-round2", "同意重新提交")
    journey.log_out()

    journey.log_in(reviewers[Stage.DEPARTMENT])
    journey.approve(name, "department-round2", "同意，已补充测算依据")
    journey.log_out()

    # The finance section approves from the inbox: tick the task, one opinion, 批量同意.
    journey.log_in(reviewers[Stage.FINANCE])
    journey.batch_approve([name], "finance", "同意，资金来源清楚")
    journey.log_out()

    journey.log_in(reviewers[Stage.PERFORMANCE])
    journey.approve(name, "performance", "同意，绩效目标合理可行")
    journey.log_out()

    journey.log_in(NY.preparer)
    journey.open_declaration(declaration.pk)
    assert "已通过" in journey.page.inner_text("body")
    journey.shot("preparer-approved")
