"""Nobody outside a task's role and scope can see, claim or act on it, whatever they try: the
services refuse (NotAllowed → 403, Http404 → 404), our views refuse, and every refused
attempt is in the audit log with result "refused". Losing a role loses its tasks."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from audit.models import AuditEvent, AuditResult
from declarations.models import Stage
from organisations.models import Jurisdiction, Membership, Organisation, OrganisationKind, Role
from review import services as review
from review.models import ReviewTask
from review.permissions import NotAllowed
from review.selectors import TASK_VIEWS
from tests import factories
from tests.review.helpers import (
    EZ,
    EZ_PROJECT,
    NY_GRID,
    NY_MOVE,
    PASSWORD,
    advance_to,
    approve_to_end,
    fresh,
    last_event_pk,
    login,
    page_text,
    seed,
    submit,
    task_ids_on_page,
    user,
)

TASK_ACTIONS = ["claim", "release", "approve", "return", "reject", "hand_over", "reassign"]


@pytest.fixture
def other_ez_unit_head(demo):
    """The head of another reporting unit of 鄂州 (same jurisdiction, same department)."""
    department = demo.org(EZ.department)
    unit = Organisation.objects.create(
        jurisdiction=department.jurisdiction,
        kind=OrganisationKind.UNIT,
        name="鄂州市社会治安综合治理研究中心",
        parent=department,
    )
    membership = factories.MembershipFactory(
        user=factories.UserFactory(username="ez_other_head"), role=Role.UNIT_HEAD, organisation=unit
    )
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership.user


def _call_service(action: str, actor, task: ReviewTask, colleague=None):
    colleague = colleague or task.owner or user("ez_dept")
    if action == "claim":
        return review.task_claim(actor=actor, task_id=task.pk)
    if action == "release":
        return review.task_release(actor=actor, task_id=task.pk)
    if action == "approve":
        return review.task_approve(actor=actor, task_id=task.pk, opinion="同意")
    if action == "return":
        return review.task_return(actor=actor, task_id=task.pk, opinion="退回")
    if action == "reject":
        return review.task_reject(actor=actor, task_id=task.pk, opinion="不予通过")
    if action == "hand_over":
        return review.task_hand_over(
            actor=actor, task_id=task.pk, to_user_id=colleague.pk, reason="移交"
        )
    return review.task_reassign(
        actor=actor, task_id=task.pk, to_user_id=colleague.pk, reason="转交"
    )


def _snapshot(task: ReviewTask):
    task.refresh_from_db()
    declaration = fresh(task.declaration)
    return (
        task.status,
        task.owner_id,
        declaration.status,
        declaration.stage,
        declaration.stamps.count(),
        ReviewTask.objects.count(),
    )


def _assert_refusal_audited(
    before: int, *, action: str, actor: str, declaration, stage: str, hidden: bool = False
):
    """Exactly one event since `before`: the refused attempt, on the actor's own chain and in
    the actor's jurisdiction. What the actor may not see (hidden: a 404) is not recorded:
    neither the declaration nor its stage, only the id they asked for."""
    events = list(AuditEvent.objects.filter(pk__gt=before))
    assert len(events) == 1, [(e.action, e.result) for e in events]
    event = events[0]
    assert event.result == AuditResult.REFUSED
    assert event.action == action
    assert event.actor.username == actor
    assert event.chain == f"actor:{event.actor_id}"
    assert event.details.get("reason")
    if hidden:
        assert (event.declaration_id, event.stage) == (None, "")
        assert set(event.details) - {"reason"} <= {"task", "declaration"}
        assert declaration.pk in event.details.values() or event.details.get("task")
    else:
        assert (event.declaration_id, event.stage) == (declaration.pk, stage)


# --- Services ----------------------------------------------------------------------------------


OUT_OF_SCOPE = ["ny_dept", "ny_head", "ny_perf", "ez_finance", "ez_other_head"]


@pytest.mark.django_db
@pytest.mark.parametrize("actor", OUT_OF_SCOPE)
@pytest.mark.parametrize("action", TASK_ACTIONS)
def test_services_hide_tasks_outside_the_actors_scope(demo, other_ez_unit_head, actor, action):
    """A reviewer of the other jurisdiction, another stage's reviewer or the head of another
    unit gets Http404 (as if the task did not exist) from every task service; nothing changes
    and the attempt is audited as refused."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    before_state, before = _snapshot(task), last_event_pk()
    with pytest.raises(Http404):
        _call_service(action, user(actor), task)
    assert _snapshot(task) == before_state
    _assert_refusal_audited(
        before,
        action=action,
        actor=actor,
        declaration=declaration,
        stage=Stage.DEPARTMENT,
        hidden=True,
    )


IN_SCOPE_WRONG_ROLE = [
    # (actor, stage the task is at, actions) — may see the task but not do this: 403.
    ("auditor", Stage.DEPARTMENT, TASK_ACTIONS),
    ("admin", Stage.DEPARTMENT, ["claim", "approve", "return", "reject", "hand_over"]),
    ("ez_preparer", Stage.UNIT_HEAD, ["approve", "return", "reject", "claim"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "stage", "action"),
    [(a, s, act) for a, s, actions in IN_SCOPE_WRONG_ROLE for act in actions],
)
def test_services_refuse_wrong_role_with_not_allowed(demo, actor, stage, action):
    """An auditor (read-only), an administrator deciding, or the preparer approving their own
    declaration get NotAllowed (HTTP 403); nothing changes; the attempt is audited."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, stage)
    before_state, before = _snapshot(task), last_event_pk()
    with pytest.raises(NotAllowed):
        _call_service(action, user(actor), task)
    assert _snapshot(task) == before_state
    _assert_refusal_audited(
        before, action=action, actor=actor, declaration=declaration, stage=stage
    )


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["approve", "return", "reject", "release", "hand_over"])
def test_second_candidate_cannot_act_on_a_task_claimed_by_a_colleague(demo, second_dept, action):
    """With two department reviewers, once one claimed the task the other may not decide,
    release or hand it over (403, audited)."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    assert task.owner_id is None
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    before_state, before = _snapshot(task), last_event_pk()
    with pytest.raises(NotAllowed):
        _call_service(action, user("ez_dept2"), task, colleague=user("ez_dept2"))
    assert _snapshot(task) == before_state
    _assert_refusal_audited(
        before, action=action, actor="ez_dept2", declaration=declaration, stage=Stage.DEPARTMENT
    )


@pytest.mark.django_db
def test_shared_queue_claim_and_release(client, demo, second_dept):
    """With several candidates the task waits unassigned in the queue of each of them; a claim
    moves it to the claimer's inbox and out of the colleague's queue; a release puts it back."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    assert (task.status, task.owner_id) == ("NEW", None)
    for username in ("ez_dept", "ez_dept2"):
        login(client, username)
        assert task.pk in task_ids_on_page(page_text(client.get("/tasks/?view=queue")))
        assert task.pk not in task_ids_on_page(page_text(client.get("/tasks/?view=inbox")))

    login(client, "ez_dept2")
    assert client.post(f"/tasks/{task.pk}/claim/").status_code == 302
    task.refresh_from_db()
    assert (task.status, task.owner.username) == ("ASSIGNED", "ez_dept2")
    assert task.pk in task_ids_on_page(page_text(client.get("/tasks/?view=inbox")))
    login(client, "ez_dept")
    assert task.pk not in task_ids_on_page(page_text(client.get("/tasks/?view=queue")))
    assert task.pk not in task_ids_on_page(page_text(client.get("/tasks/")))

    login(client, "ez_dept2")
    assert client.post(f"/tasks/{task.pk}/release/").status_code == 302
    task.refresh_from_db()
    assert (task.status, task.owner_id) == ("NEW", None)
    login(client, "ez_dept")
    assert task.pk in task_ids_on_page(page_text(client.get("/tasks/?view=queue")))


# --- Views under /tasks/ ---------------------------------------------------------------------


VIEW_CASES = [
    # (actor, stage of the task, expected status)
    ("ny_dept", Stage.DEPARTMENT, 404),  # reviewer of the other jurisdiction
    ("ny_head", Stage.UNIT_HEAD, 404),  # head of another unit (other jurisdiction)
    ("ez_other_head", Stage.UNIT_HEAD, 404),  # head of another unit (same jurisdiction)
    ("ez_preparer", Stage.UNIT_HEAD, 403),  # the preparer approving their own declaration
    ("auditor", Stage.DEPARTMENT, 403),  # auditors only read
]


@pytest.mark.django_db
@pytest.mark.parametrize(("actor", "stage", "status"), VIEW_CASES)
@pytest.mark.parametrize("action", ["approve", "return", "reject", "claim"])
def test_task_views_refuse_and_audit(
    client, demo, other_ez_unit_head, actor, stage, status, action
):
    """POST /tasks/<id>/<action>/ by someone without the right is refused with 404 (outside the
    scope) or 403 (in scope, wrong role); the task is untouched and the attempt audited."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, stage)
    before_state, before = _snapshot(task), last_event_pk()
    login(client, actor)
    response = client.post(f"/tasks/{task.pk}/{action}/", {"opinion": "同意", "to": "preparer"})
    assert response.status_code == status
    assert _snapshot(task) == before_state
    _assert_refusal_audited(
        before,
        action=action,
        actor=actor,
        declaration=declaration,
        stage=stage,
        hidden=status == 404,
    )


@pytest.mark.django_db
def test_task_page_is_hidden_outside_the_scope(client, demo, other_ez_unit_head):
    """GET /tasks/<id>/ is 404 outside the scope; an auditor may read it but gets no decision
    form; the holder sees the decision form."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    for username in ("ny_dept", "ny_head", "ny_perf", "ez_other_head", "ez_finance"):
        login(client, username)
        assert client.get(f"/tasks/{task.pk}/").status_code == 404, username
    login(client, "auditor")
    page = client.get(f"/tasks/{task.pk}/")
    assert page.status_code == 200
    assert "同意并盖章" not in page_text(page)
    login(client, "ez_dept")
    assert "同意并盖章" in page_text(client.get(f"/tasks/{task.pk}/"))


@pytest.mark.django_db
def test_second_candidate_acting_on_claimed_task_through_the_view_is_403(client, demo, second_dept):
    """A second candidate posting a decision on a task claimed by a colleague gets 403."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    before_state, before = _snapshot(task), last_event_pk()
    login(client, "ez_dept2")
    assert client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意"}).status_code == 403
    assert _snapshot(task) == before_state
    _assert_refusal_audited(
        before, action="approve", actor="ez_dept2", declaration=declaration, stage="department"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["draft", "submitted"])
def test_declaration_pages_are_404_outside_the_scope(client, demo, state):
    """Another jurisdiction's preparer and reviewer get 404 on every page of a declaration."""
    declaration = seed(EZ_PROJECT)
    if state == "submitted":
        submit(declaration)
    for username in ("ny_preparer", "ny_dept", "ny_perf"):
        login(client, username)
        for suffix in ("", "print/", "history/", "export.xlsx", "edit/"):
            response = client.get(f"/declarations/{declaration.pk}/{suffix}")
            assert response.status_code == 404, (username, suffix)


# --- Views under /declarations/ ------------------------------------------------------------------


def _pdf():
    return SimpleUploadedFile("依据.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


DECLARATION_POSTS = {
    # action in the audit log -> (path suffix, form data)
    "submit": ("submit/", dict),
    "withdraw": ("withdraw/", dict),
    "comment": ("comment/", lambda: {"text": "看看"}),
    "copy": ("copy/", dict),
    "edit": ("edit/", lambda: {"action": "save", "name": "改名"}),
    "attach": ("attachments/", lambda: {"file": _pdf(), "description": "x"}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(DECLARATION_POSTS))
def test_declaration_actions_outside_the_scope_are_404_and_audited(client, demo, action):
    """POSTs by another jurisdiction's preparer to an 鄂州 declaration are 404, change nothing
    and are audited as refused."""
    declaration = seed(EZ_PROJECT)
    if action == "withdraw":
        declaration = submit(declaration)
    suffix, data = DECLARATION_POSTS[action]
    before_version, before = fresh(declaration).version, last_event_pk()
    login(client, "ny_preparer")
    response = client.post(f"/declarations/{declaration.pk}/{suffix}", data())
    assert response.status_code == 404
    after = fresh(declaration)
    assert (after.version, after.status) == (before_version, declaration.status)
    events = list(AuditEvent.objects.filter(pk__gt=before))
    assert [(e.action, e.result, e.actor.username) for e in events] == [
        (action, AuditResult.REFUSED, "ny_preparer")
    ]
    # Nothing about a declaration ny_preparer may not see: only the id asked for.
    assert (events[0].declaration_id, events[0].stage) == (None, "")
    assert events[0].details["declaration"] == declaration.pk


WRONG_ROLE_POSTS = [
    # (actor, action, state) — may see the declaration, may not do this: 403, audited.
    ("ez_head", "submit", "draft"),
    ("ez_head", "edit", "draft"),
    ("ez_head", "withdraw", "submitted"),
    ("auditor", "comment", "draft"),
    ("auditor", "submit", "draft"),
    ("ez_dept", "withdraw", "at_department"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("actor", "action", "state"), WRONG_ROLE_POSTS)
def test_declaration_actions_by_the_wrong_role_are_403_and_audited(
    client, demo, actor, action, state
):
    """The unit head cannot submit, edit or withdraw the preparer's declaration, an auditor
    cannot comment or submit, a department reviewer cannot withdraw: 403, audited."""
    declaration = seed(EZ_PROJECT)
    if state == "submitted":
        declaration = submit(declaration)
    elif state == "at_department":
        advance_to(declaration, Stage.DEPARTMENT)
        declaration = fresh(declaration)
    suffix, data = DECLARATION_POSTS[action]
    before_version, before = declaration.version, last_event_pk()
    login(client, actor)
    response = client.post(f"/declarations/{declaration.pk}/{suffix}", data())
    assert response.status_code == 403
    after = fresh(declaration)
    assert (after.version, after.status, after.stage) == (
        before_version,
        declaration.status,
        declaration.stage,
    )
    events = list(AuditEvent.objects.filter(pk__gt=before))
    assert [(e.action, e.result, e.actor.username) for e in events] == [
        (action, AuditResult.REFUSED, actor)
    ]


# --- Task lists --------------------------------------------------------------------------------


@pytest.fixture
def tasks_everywhere(demo, second_dept):
    """Tasks in several states in both jurisdictions: a shared-queue task (鄂州, department),
    an assigned task (南岳, finance) and a finished review (南岳, all stages done)."""
    advance_to(seed(EZ_PROJECT), Stage.DEPARTMENT)
    advance_to(seed(NY_MOVE), Stage.FINANCE)
    approve_to_end(submit(seed(NY_GRID)))


def _allowed(username: str, task: ReviewTask) -> bool:
    memberships = Membership.objects.filter(user__username=username, is_active=True)
    if task.owner_id is not None:
        return task.owner.username == username
    if task.status != "NEW":
        return False
    return memberships.filter(
        role=task.candidate_role, organisation=task.candidate_organisation
    ).exists()


REVIEWERS = [
    "ez_preparer",
    "ez_head",
    "ez_dept",
    "ez_dept2",
    "ez_finance",
    "ez_perf",
    "ny_preparer",
    "ny_head",
    "ny_dept",
    "ny_finance",
    "ny_perf",
]


@pytest.mark.django_db
@pytest.mark.parametrize("username", REVIEWERS)
def test_task_lists_never_show_other_peoples_tasks(client, tasks_everywhere, username):
    """Whatever list view a reviewer asks for, it shows only tasks they hold or whose queue they
    belong to, never another jurisdiction's, and each listed task opens for them."""
    login(client, username)
    jurisdiction = "ezhou" if username.startswith("ez") else "nanyue"
    for view in TASK_VIEWS:
        for query in ("", "&overdue=1", "&overdue=0"):
            response = client.get(f"/tasks/?view={view}{query}")
            assert response.status_code == 200
            for pk in task_ids_on_page(page_text(response)):
                task = ReviewTask.objects.select_related("declaration__reporting_unit").get(pk=pk)
                assert _allowed(username, task), (username, view, task.stage, task.status)
                assert task.declaration.reporting_unit.jurisdiction.code == jurisdiction
                assert client.get(f"/tasks/{pk}/").status_code == 200


@pytest.mark.django_db
def test_task_lists_show_each_reviewer_their_own_work(client, tasks_everywhere):
    """The lists are not empty for the right people: the 鄂州 department queue is in both
    department reviewers' queues, 南岳 finance's task in its inbox, finished tasks under done."""
    ez_queue = ReviewTask.objects.get(declaration__name=EZ_PROJECT, stage="department")
    ny_finance = ReviewTask.objects.get(
        declaration__name=NY_MOVE, stage="finance", status="ASSIGNED"
    )
    for username in ("ez_dept", "ez_dept2"):
        login(client, username)
        assert task_ids_on_page(page_text(client.get("/tasks/?view=queue"))) == {ez_queue.pk}
    login(client, "ny_finance")
    assert task_ids_on_page(page_text(client.get("/tasks/?view=inbox"))) == {ny_finance.pk}
    done = set(
        ReviewTask.objects.filter(owner__username="ny_finance", status="DONE").values_list(
            "pk", flat=True
        )
    )
    assert done
    assert task_ids_on_page(page_text(client.get("/tasks/?view=done"))) == done


@pytest.mark.django_db
def test_auditor_and_administrator_see_every_task_read_only(client, tasks_everywhere):
    """Auditors and administrators of all jurisdictions see all tasks in the 'all' view."""
    every = set(
        ReviewTask.objects.filter(
            stage__in=["unit_head", "department", "finance", "performance"]
        ).values_list("pk", flat=True)
    )
    for username in ("auditor", "admin"):
        login(client, username)
        assert task_ids_on_page(page_text(client.get("/tasks/?view=all"))) == every


@pytest.fixture
def nanyue_overseers(demo):
    """An auditor (of the demo data) and an administrator whose roles cover 南岳区 only."""
    nanyue = Jurisdiction.objects.get(code="nanyue")
    membership = factories.MembershipFactory(
        user=factories.UserFactory(username="ny_admin"),
        role=Role.ADMINISTRATOR,
        organisation=None,
        jurisdiction=nanyue,
    )
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return {"ny_auditor": user("ny_auditor"), "ny_admin": membership.user}


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["ny_auditor", "ny_admin"])
def test_jurisdiction_overseers_see_nothing_of_another_jurisdiction(
    client, demo, second_dept, nanyue_overseers, username
):
    """An auditor or administrator of 南岳区 only gets 404 on 鄂州's tasks and declarations,
    cannot reassign or release them (404, audited), and lists and the audit log show none of
    鄂州's declarations."""
    ez_declaration = seed(EZ_PROJECT)
    ez_task = advance_to(ez_declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=ez_task.pk)
    ny_task = advance_to(seed(NY_MOVE), Stage.DEPARTMENT)
    login(client, username)

    assert client.get(f"/tasks/{ez_task.pk}/").status_code == 404
    assert client.get(f"/tasks/{ny_task.pk}/").status_code == 200
    for suffix in ("", "print/", "history/"):
        assert client.get(f"/declarations/{ez_declaration.pk}/{suffix}").status_code == 404
    listed = task_ids_on_page(page_text(client.get("/tasks/?view=all")))
    assert ny_task.pk in listed
    assert ez_task.pk not in listed

    for action in ("reassign", "release"):
        before_state, before = _snapshot(ez_task), last_event_pk()
        response = client.post(
            f"/tasks/{ez_task.pk}/{action}/",
            {"to_user": str(second_dept.pk), "reason": "调整"},
        )
        assert response.status_code == 404
        assert _snapshot(ez_task) == before_state
        _assert_refusal_audited(
            before,
            action=action,
            actor=username,
            declaration=ez_declaration,
            stage=Stage.DEPARTMENT,
            hidden=True,
        )

    audit = page_text(client.get("/audit/"))
    shown = {
        e.pk
        for e in AuditEvent.objects.filter(declaration=ez_declaration)
        if f"<td>{e.pk}</td>" in audit
    }
    ok_ez_events = set(
        AuditEvent.objects.filter(declaration=ez_declaration, result="ok").values_list(
            "pk", flat=True
        )
    )
    assert not shown & ok_ez_events, "鄂州's own events must not show in 南岳's audit log"
    ny_approval = AuditEvent.objects.filter(declaration__name=NY_MOVE, action="approve").first()
    assert f"<td>{ny_approval.pk}</td>" in audit, "南岳's own events are in its audit log"


# --- Losing a role ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_holder_who_loses_the_role_loses_the_task(client, held_task):
    """Once ny_head's membership is made inactive, the task it held is 404 on the page and the
    API, and it leaves the inbox; the declaration too."""
    Membership.objects.filter(user__username="ny_head").update(is_active=False)
    login(client, "ny_head")
    assert client.get(f"/tasks/{held_task.pk}/").status_code == 404
    assert client.get(f"/api/tasks/{held_task.pk}/").status_code == 404
    assert client.get("/api/tasks/").json()["count"] == 0
    assert client.get(f"/declarations/{held_task.declaration_id}/").status_code == 404
    response = client.post(f"/tasks/{held_task.pk}/release/")
    assert response.status_code == 404
