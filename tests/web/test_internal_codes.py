"""No page of the demo journey shows an internal code: every role, stage, decision or action
code and every stored dictionary reaches people as Chinese words."""

import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from audit.models import AuditAction
from declarations.models import Stage
from organisations.models import Membership, Role
from organisations.services import membership_save
from review import services as review
from review.errors import AlreadyHandled
from review.models import Decision, ReviewTask
from review.permissions import RETURN_PREVIOUS, VIEW_REFUSALS, NotAllowed, NotFound
from tests.pages import page_of, visible_text
from tests.review.helpers import EZ_PROJECT, NY_MOVE, advance_to, open_task, seed, user

ACCOUNTS = [
    "ny_preparer",
    "ny_head",
    "ny_dept",
    "ny_dept2",
    "ny_finance",
    "ny_perf",
    "ez_preparer",
    "ez_head",
    "ez_dept",
    "ny_auditor",
    "auditor",
    "admin",
]
CODES = sorted(
    {
        *Role.values,
        *Stage.values,
        *Decision.values,
        *AuditAction.values,
        RETURN_PREVIOUS,
        VIEW_REFUSALS,
        "already overdue",
    }
)
CODE_PATTERN = re.compile(
    r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(code) for code in CODES) + r")(?![A-Za-z0-9_])"
)
# A Python dict or list printed as it is stored: {'task': 3} or ['a', 'b'].
REPR_PATTERN = re.compile(r"[{\[]'[^']*'(: |, |\])")


def _refused(call) -> None:
    with pytest.raises((NotAllowed, NotFound, AlreadyHandled)):
        call()


@pytest.fixture
def journey(demo, second_ny_dept):
    """A 南岳 declaration withdrawn, resubmitted, returned, resubmitted, handed over and
    returned to the previous stage; a 鄂州 one in review; a role changed; refusals logged."""
    move = seed(NY_MOVE)
    review.declaration_submit(actor=user("ny_preparer"), declaration_id=move.pk)
    review.declaration_withdraw(actor=user("ny_preparer"), declaration_id=move.pk)
    task = advance_to(move, Stage.DEPARTMENT)
    review.task_return(actor=user("ny_dept"), task_id=task.pk, opinion="请补充绩效指标")
    task = advance_to(move, Stage.DEPARTMENT)
    review.task_claim(actor=user("ny_dept"), task_id=task.pk)
    review.task_hand_over(
        actor=user("ny_dept"), task_id=task.pk, to_user_id=second_ny_dept.pk, reason="出差"
    )
    _refused(lambda: review.task_approve(actor=user("ny_preparer"), task_id=task.pk))
    review.task_approve(actor=user("ny_dept2"), task_id=task.pk, opinion="同意")
    finance = open_task(move)
    _refused(
        lambda: review.task_return(
            actor=user("ny_head"), task_id=finance.pk, opinion="x", to="previous"
        )
    )
    review.task_return(actor=user("ny_finance"), task_id=finance.pk, opinion="退回", to="previous")
    advance_to(seed(EZ_PROJECT), Stage.DEPARTMENT)
    membership = Membership.objects.get(user__username="ny_finance")
    membership.role = Role.FINANCE_REVIEWER
    membership_save(actor=user("admin"), membership=membership, changed=["role"])
    return move


def _paths(journey) -> list[str]:
    declarations = [journey.pk, seed(EZ_PROJECT).pk]
    tasks = ReviewTask.objects.filter(declaration__in=declarations).values_list("pk", flat=True)
    return [
        "/",
        "/declarations/",
        "/tasks/",
        "/tasks/?view=done",
        "/tasks/?view=all",
        "/audit/",
        "/notifications/",
        *(f"/declarations/{pk}/{page}" for pk in declarations for page in ("", "history/")),
        *(f"/tasks/{pk}/" for pk in tasks),
    ]


def codes_shown(response) -> list[str]:
    text = visible_text(page_of(response))
    return CODE_PATTERN.findall(text) + [m.group(0) for m in REPR_PATTERN.finditer(text)]


@pytest.mark.django_db
def test_no_page_of_the_journey_shows_an_internal_code(web, journey):
    """Every page each demo account can open after the journey reads in words only."""
    found, seen = {}, 0
    for account in ACCOUNTS:
        client = web(account)
        for path in _paths(journey):
            response = client.get(path)
            if response.status_code != 200:
                continue
            seen += 1
            codes = codes_shown(response)
            if codes:
                found[f"{path} as {account}"] = sorted(set(codes))
    assert seen > 50
    assert found == {}


@pytest.mark.django_db
def test_the_audit_log_shows_details_as_labels_and_values(web, journey):
    """A hand-over's details read 原办理人：ny_dept and 转交给：ny_dept2, a submission's
    进入环节：单位负责人, a role change's 角色：财政业务股室审核人."""
    text = visible_text(page_of(web("auditor").get("/audit/")))
    assert "原办理人：ny_dept" in text
    assert "转交给：ny_dept2" in text
    assert "进入环节：单位负责人" in text
    assert "角色：财政业务股室审核人" in text
    assert "下一环节：主管部门" in text
    assert "退回上一环节" in text  # the refused right, by name


def _admin_lists() -> list[str]:
    """Every changelist of the admin site, from its registry."""
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


NOTIFICATION_EVENTS = sorted(
    path.stem
    for path in (settings.BASE_DIR / "notifications/templates/notifications/events").iterdir()
)
ADMIN_CODE_PATTERN = re.compile(
    r"(?<![A-Za-z0-9_])("
    + "|".join(
        re.escape(code)
        for code in [*CODES, *NOTIFICATION_EVENTS, "review.flows", "DONE", "NEW", "ASSIGNED"]
    )
    + r")(?![A-Za-z0-9_])"
)


@pytest.mark.django_db
def test_the_admin_lists_read_in_words(web, journey):
    """The operator's lists (audit events, notifications, processes, tasks, memberships) show
    stages, roles, events and states in words too."""
    client = web("admin")
    found, seen = {}, 0
    for path in _admin_lists():
        response = client.get(path)
        assert response.status_code == 200, path
        seen += 1
        tables = page_of(response).find_all("table", id="result_list")
        if not tables:
            continue
        table = tables[0]
        text = visible_text(table)
        if path in (
            reverse("admin:auth_user_changelist"),
            reverse("admin:organisations_membership_changelist"),
        ):
            # Usernames are names people type; the demo's "auditor" is not the role's code.
            text = text.replace("auditor", "")
        codes = ADMIN_CODE_PATTERN.findall(text)
        if codes:
            found[path] = sorted(set(codes))
    assert seen > 8
    assert not found, found
