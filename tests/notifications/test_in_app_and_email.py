"""Notifications in-app and by e-mail: who hears about a new task and about the outcome of
their declaration, through the pages, the API and Celery's redeliveries. (Preferences and
marking read: services/.)"""

import pytest
from django.core import mail

from declarations.models import DeclarationStatus
from notifications.models import Delivery, Notification
from notifications.tasks import deliver_email, dispatch_event
from review.services import declaration_withdraw
from tests.notifications.helpers import (
    NY_MOVE,
    at,
    email_deliveries,
    fresh,
    notifications,
    recipients,
    seed,
    text_of,
    user,
)

pytestmark = pytest.mark.django_db


def test_submit_notifies_the_unit_head_in_app_and_by_email(flow, time_machine, settings):
    """Submitting puts a 新的审核任务 notification in ny_head's list and sends them one e-mail
    with the declaration, the due time and a link to the task; nobody else hears of it."""
    time_machine.move_to(at(2026, 3, 6, 15, 30), tick=False)
    unit_task = flow.submit(seed(NY_MOVE))

    assert recipients("task_created") == ["ny_head"]
    (notification,) = notifications("ny_head")
    assert notification.event == "task_created"
    assert notification.show_in_app is True
    assert notification.read_at is None
    assert NY_MOVE in notification.title
    assert notification.url == f"/tasks/{unit_task.pk}/"
    assert notification.declaration_id == unit_task.declaration_id

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ny_head@example.gov.cn"]
    assert message.subject == notification.title
    assert "2026-03-11 15:30" in message.body
    assert settings.SITE_URL.rstrip("/") + f"/tasks/{unit_task.pk}/" in message.body
    (delivery,) = email_deliveries()
    assert delivery.notification == notification
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 1


def test_each_approval_notifies_the_next_stage(flow):
    """Approving at one stage tells the next stage's reviewer about their new task."""
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    flow.approve(declaration)
    assert recipients("task_created") == ["ny_dept", "ny_head"]
    flow.approve(declaration)
    flow.approve(declaration)
    assert recipients("task_created") == ["ny_dept", "ny_finance", "ny_head", "ny_perf"]
    assert recipients("declaration_approved") == []


def test_final_approval_notifies_the_submitter(flow):
    """When performance supervision approves, the submitter (ny_preparer) hears it is approved."""
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    for _ in range(4):
        flow.approve(declaration)
    assert fresh(declaration).status == DeclarationStatus.APPROVED
    assert recipients("declaration_approved") == ["ny_preparer"]
    (notification,) = notifications("ny_preparer", "declaration_approved")
    assert NY_MOVE in notification.title
    assert notification.url == f"/declarations/{declaration.pk}/"
    assert [m.to for m in mail.outbox if m.subject == notification.title] == [
        ["ny_preparer@example.gov.cn"]
    ]


@pytest.mark.parametrize(
    ("action", "event", "status"),
    [
        ("return_", "declaration_returned", DeclarationStatus.RETURNED),
        ("reject", "declaration_rejected", DeclarationStatus.REJECTED),
    ],
)
def test_return_and_reject_notify_the_submitter_with_the_opinion(flow, action, event, status):
    """Returned or rejected at the department, the submitter is told, with the opinion, in-app
    and by e-mail."""
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    flow.approve(declaration)
    getattr(flow, action)(declaration, opinion="绩效指标不够细化")
    assert fresh(declaration).status == status
    assert recipients(event) == ["ny_preparer"]
    (notification,) = notifications("ny_preparer", event)
    assert "绩效指标不够细化" in notification.body
    assert "主管部门" in notification.body
    emails = [m for m in mail.outbox if m.to == ["ny_preparer@example.gov.cn"]]
    assert [m.subject for m in emails] == [notification.title]


def test_return_to_previous_stage_notifies_that_stage_not_the_preparer(flow):
    """Returned by the department to the unit head, the unit head gets the task back and is
    told; the preparer is not."""
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    flow.approve(declaration)
    flow.return_(declaration, opinion="请单位负责人复核", to="previous")
    assert recipients("declaration_returned") == ["ny_head"]
    assert notifications("ny_preparer") == []


def test_notifications_api_lists_counts_and_marks_read(flow, api):
    """/api/notifications/ lists my notifications, unread-count counts them, read marks one;
    another user's notification is 404."""
    flow.submit(seed(NY_MOVE))
    flow.urge(seed(NY_MOVE))
    client = api("ny_head")
    assert client.get("/api/notifications/unread-count/").json() == {"unread": 2}
    body = client.get("/api/notifications/").json()
    listed = body["results"] if isinstance(body, dict) else body
    assert {n["event"] for n in listed} == {"task_created", "urge"}
    assert all(n["read"] is False for n in listed)

    target = listed[0]["id"]
    assert api("ny_dept").post(f"/api/notifications/{target}/read/").status_code == 404
    response = client.post(f"/api/notifications/{target}/read/")
    assert response.status_code == 200
    assert response.json()["read"] is True
    assert client.get("/api/notifications/unread-count/").json() == {"unread": 1}
    unread = client.get("/api/notifications/", {"unread": "true"}).json()
    unread = unread["results"] if isinstance(unread, dict) else unread
    assert [n["id"] for n in unread] == [listed[1]["id"]]
    assert client.post("/api/notifications/read-all/").json() == {"marked": 1}
    assert client.get("/api/notifications/unread-count/").json() == {"unread": 0}


def test_a_user_without_email_address_gets_in_app_only(flow):
    """No e-mail address, no e-mail delivery row; the in-app notification still arrives."""
    head = user("ny_head")
    head.email = ""
    head.save()
    flow.submit(seed(NY_MOVE))
    assert recipients("task_created") == ["ny_head"]
    assert email_deliveries() == []
    assert mail.outbox == []


def test_withdrawal_tells_the_unit_head_the_task_is_gone(flow):
    """The preparer withdraws before the unit head acted: ny_head is told 申报表已撤回."""
    declaration = seed(NY_MOVE)
    flow.submit(declaration)
    flow.commit(declaration_withdraw, actor=user("ny_preparer"), declaration_id=declaration.pk)
    assert recipients("task_withdrawn") == ["ny_head"]
    (notification,) = notifications("ny_head", "task_withdrawn")
    assert NY_MOVE in notification.title
    assert "“单位负责人”环节的审核任务已取消" in notification.body
    assert "unit_head" not in notification.body


def test_redelivered_celery_messages_notify_and_mail_once(flow):
    """A dispatch_event or deliver_email message delivered twice (acks_late redelivery, a retry)
    creates no second notification and sends no second e-mail: each notification has an
    idempotency key and a sent delivery is not sent again."""
    unit_task = flow.submit(seed(NY_MOVE))
    (delivery,) = email_deliveries()
    assert len(mail.outbox) == 1

    assert flow.commit(dispatch_event.delay, "task_created", {"task_id": unit_task.pk}).get() == 0
    assert flow.commit(deliver_email.delay, delivery.pk).get() == "sent"
    assert recipients("task_created") == ["ny_head"]
    assert len(email_deliveries()) == 1
    assert len(mail.outbox) == 1
    keys = list(Notification.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))


def test_emails_and_notices_show_quotes_and_angle_brackets_as_typed(flow, web):
    """A declaration name and an opinion holding ' " < > & reach the preparer as typed: the
    e-mail's subject and body are plain text, not HTML-escaped (no &#x27; or &lt;), and the
    notification page shows the same text once, not escaped twice."""
    declaration = seed(NY_MOVE)
    name = 'O\'Neil "网格" <试点> & 运维'
    opinion = "请补充 <指标值> 与 '确定依据' & 说明"
    declaration.name = name
    declaration.save(update_fields=["name"])
    flow.submit(declaration)
    mail.outbox = []
    flow.return_(declaration, opinion=opinion)

    (message,) = mail.outbox
    assert message.to == ["ny_preparer@example.gov.cn"]
    assert message.subject == f"申报表被退回修改：{name}"
    assert f"《{name}》" in message.body
    assert f"审核意见：{opinion}" in message.body
    assert "&#x27;" not in message.subject + message.body
    assert "&lt;" not in message.subject + message.body

    page = text_of(web("ny_preparer").get("/notifications/"))
    assert f"申报表被退回修改：{name}" in page
    assert f"审核意见：{opinion}" in page
