"""Template declarations for the generator, each brought to its state through the real services
(create, save, submit, approve, claim, return, reject), so every row the generator clones is one
the services wrote."""

import copy
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from declarations.models import Declaration, DeclarationKind
from declarations.seeds import EZHOU_PROJECT, NANYUE_GRID
from organisations.models import Organisation, OrganisationKind
from review import drafts, services
from review.models import ReviewTask

# Who acts at each review stage, by the suffix of the demo account (ny_head, ez_finance, …).
STAGE_ACCOUNT = {
    "unit_head": "head",
    "department": "dept",
    "finance": "finance",
    "performance": "perf",
}

# Per jurisdiction: the demo account prefix, the seed content, and each state's share of all
# declarations. 南岳区's finance section (ny_finance) is the busy reviewer: 10% of everything
# waits there.
JURISDICTIONS = {
    "nanyue": ("ny", NANYUE_GRID, DeclarationKind.SPECIAL_FUND),
    "ezhou": ("ez", EZHOU_PROJECT, DeclarationKind.PROJECT),
}
MIX: list[tuple[str, str, float]] = [
    ("nanyue", "draft", 0.04),
    ("nanyue", "unit_head", 0.04),
    ("nanyue", "department", 0.04),
    ("nanyue", "finance", 0.095),
    ("nanyue", "finance_claimed", 0.005),
    ("nanyue", "performance", 0.05),
    ("nanyue", "approved", 0.22),
    ("nanyue", "returned", 0.03),
    ("nanyue", "resubmitted_approved", 0.05),
    ("nanyue", "rejected", 0.03),
    ("ezhou", "draft", 0.03),
    ("ezhou", "unit_head", 0.03),
    ("ezhou", "department", 0.03),
    ("ezhou", "finance", 0.05),
    ("ezhou", "performance", 0.03),
    ("ezhou", "approved", 0.17),
    ("ezhou", "returned", 0.02),
    ("ezhou", "resubmitted_approved", 0.02),
    ("ezhou", "rejected", 0.02),
]

# The steps that bring a fresh draft to each state.
SCRIPTS: dict[str, list[str]] = {
    "draft": [],
    "unit_head": ["submit"],
    "department": ["submit", "approve"],
    "finance": ["submit", "approve", "approve"],
    "finance_claimed": ["submit", "approve", "approve", "claim"],
    "performance": ["submit", "approve", "approve", "approve"],
    "approved": ["submit", "approve", "approve", "approve", "approve"],
    "returned": ["submit", "approve", "approve", "return"],
    "resubmitted_approved": ["submit", "approve", "approve", "return", "submit", "approve_all"],
    "rejected": ["submit", "approve", "reject"],
}


@dataclass(frozen=True)
class Template:
    jurisdiction: str
    state: str
    share: float
    declaration_id: int


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _open_task(declaration_id: int) -> ReviewTask:
    return ReviewTask.objects.reviews().open().get(declaration_id=declaration_id)


def _reviewer(prefix: str, task: ReviewTask):
    return _user(f"{prefix}_{STAGE_ACCOUNT[task.stage]}")


def _step(step: str, prefix: str, declaration_id: int) -> None:
    if step == "submit":
        services.declaration_submit(
            actor=_user(f"{prefix}_preparer"), declaration_id=declaration_id
        )
        return
    if step == "approve_all":
        while ReviewTask.objects.reviews().open().filter(declaration_id=declaration_id).exists():
            _step("approve", prefix, declaration_id)
        return
    task = _open_task(declaration_id)
    actor = _reviewer(prefix, task)
    if step == "approve":
        services.task_approve(actor=actor, task_id=task.pk, opinion="同意。")
    elif step == "claim":
        services.task_claim(actor=actor, task_id=task.pk)
    elif step == "return":
        services.task_return(actor=actor, task_id=task.pk, opinion="请补充指标值确定依据。")
    elif step == "reject":
        services.task_reject(actor=actor, task_id=task.pk, opinion="不符合本年度预算安排方向。")
    else:
        raise ValueError(step)


def new_draft(jurisdiction: str, number: int) -> Declaration:
    """A complete draft of the jurisdiction's reporting unit, with the seed form's content."""
    prefix, seed, kind = JURISDICTIONS[jurisdiction]
    content = copy.deepcopy(seed)
    content.fields["name"] = f"{seed.fields['name']}（基准{number:03d}）"
    unit = Organisation.objects.get(jurisdiction__code=jurisdiction, kind=OrganisationKind.UNIT)
    preparer = _user(f"{prefix}_preparer")
    declaration = drafts.declaration_create(
        actor=preparer,
        unit=unit,
        fiscal_year=content.fields["fiscal_year"],
        kind=kind,
        name=content.fields["name"],
    )
    drafts.declaration_save(actor=preparer, declaration_id=declaration.pk, content=content)
    return declaration


def run_script(jurisdiction: str, state: str, declaration_id: int) -> None:
    prefix = JURISDICTIONS[jurisdiction][0]
    for step in SCRIPTS[state]:
        _step(step, prefix, declaration_id)


def build_templates() -> list[Template]:
    """One template declaration per (jurisdiction, state) of the mix."""
    templates = []
    for number, (jurisdiction, state, share) in enumerate(MIX, start=1):
        declaration = new_draft(jurisdiction, number)
        run_script(jurisdiction, state, declaration.pk)
        templates.append(Template(jurisdiction, state, share, declaration.pk))
    return templates


def build_long_history(rounds: int) -> Declaration:
    """A declaration returned by its unit head rounds-1 times, then approved at every stage."""
    declaration = new_draft("nanyue", 0)
    for _ in range(rounds - 1):
        run_script("nanyue", "unit_head", declaration.pk)
        _step("return", "ny", declaration.pk)
    run_script("nanyue", "approved", declaration.pk)
    return declaration
