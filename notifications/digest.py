"""The weekly digest: per reviewing organisation, what waits, what is late, what was decided,
and how long each stage takes (seed 000 asks for a weekly situation report)."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from declarations.models import Stage
from notifications import recipients
from notifications.services import notify
from organisations.models import Organisation, Role
from organisations.selectors import members_with_role
from review.models import Decision, ReviewTask
from review.permissions import digest_organisation_scope

RETURNS = (Decision.RETURN_PREPARER, Decision.RETURN_PREVIOUS)


@dataclass
class StageTime:
    stage: str
    label: str
    count: int
    average_hours: float


@dataclass
class Digest:
    organisation: Organisation
    start: object
    end: object
    waiting: int = 0
    overdue: int = 0
    approved: int = 0
    returned: int = 0
    rejected: int = 0
    stages: list[StageTime] = field(default_factory=list)


def organisation_digest(organisation: Organisation, *, end=None, days: int = 7) -> Digest:
    """Counts for one organisation over the `days` before `end` (waiting and overdue: at `end`)."""
    end = end or timezone.now()
    start = end - timedelta(days=days)
    tasks = ReviewTask.objects.reviews().filter(candidate_organisation=organisation)
    open_now = tasks.open().filter(created__lte=end)
    finished = tasks.filter(finished__gt=start, finished__lte=end, status="DONE")
    digest = Digest(
        organisation=organisation,
        start=start,
        end=end,
        waiting=open_now.count(),
        overdue=open_now.overdue(end).count(),
        approved=finished.filter(outcome=Decision.APPROVE).count(),
        returned=finished.filter(outcome__in=RETURNS).count(),
        rejected=finished.filter(outcome=Decision.REJECT).count(),
    )
    by_stage: dict[str, list[float]] = {}
    for stage, created, done in finished.values_list("stage", "created", "finished"):
        by_stage.setdefault(stage, []).append((done - created).total_seconds() / 3600)
    digest.stages = [
        StageTime(stage, str(Stage(stage).label), len(hours), sum(hours) / len(hours))
        for stage, hours in sorted(by_stage.items(), key=lambda item: Stage.values.index(item[0]))
    ]
    return digest


def reviewing_organisations():
    """Organisations that review at some stage (units review as unit heads)."""
    return Organisation.objects.filter(
        Q(pk__in=ReviewTask.objects.values("candidate_organisation"))
        | Q(kind__in=["department", "business_section", "performance_section"]),
        is_active=True,
    ).select_related("jurisdiction")


def digest_recipients(organisation: Organisation) -> list:
    role = {
        "unit": Role.UNIT_HEAD,
        "department": Role.DEPARTMENT_REVIEWER,
        "business_section": Role.FINANCE_REVIEWER,
        "performance_section": Role.PERFORMANCE_REVIEWER,
    }.get(organisation.kind)
    reviewers = list(members_with_role(role, organisation)) if role else []
    return recipients.unique(reviewers + recipients.organisation_heads(organisation))


def send_weekly_digest(now=None) -> int:
    """Send this week's digest to the reviewers and heads of every reviewing organisation."""
    now = now or timezone.now()
    week = timezone.localtime(now).strftime("%G-W%V")
    sent = 0
    for organisation in reviewing_organisations():
        digest = organisation_digest(organisation, end=now)
        sent += len(
            notify(
                digest_recipients(organisation),
                event="weekly_digest",
                key=f"digest:{organisation.pk}:{week}",
                context={
                    "digest": digest,
                    "organisation": organisation,
                    "start": digest.start,
                    "end": digest.end,
                },
                path=reverse("notifications:digest") + f"?organisation={organisation.pk}",
            )
        )
    return sent


def organisations_for_digest_page(user):
    """The organisations whose digest a user may read."""
    return reviewing_organisations().filter(digest_organisation_scope(user))
