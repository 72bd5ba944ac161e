"""What changed since the last round: between what was submitted for two rounds, or, while the
declaration is back with its preparer, between the last submission and the saved draft."""

from dataclasses import dataclass, field

from declarations.changes import Change, content_changes
from declarations.content import canonical_content
from declarations.models import EDITABLE_STATUSES, Declaration
from review.models import ReviewProcess


@dataclass
class RoundChanges:
    title: str
    changes: list[Change] = field(default_factory=list)
    known: bool = True  # False when an earlier round's content was not kept


def _submitted(declaration: Declaration, rounds: list[int]) -> dict[int, dict | None]:
    found = dict(
        ReviewProcess.objects.filter(declaration=declaration, round__in=rounds).values_list(
            "round", "submitted_content"
        )
    )
    return {number: found.get(number) for number in rounds}


def changes_for_round(declaration: Declaration, number: int) -> RoundChanges | None:
    """Round `number` against the round before it; None for a first round."""
    if number < 2:
        return None
    contents = _submitted(declaration, [number - 1, number])
    title = f"第{number}轮与第{number - 1}轮提交相比的修改"
    old, new = contents[number - 1], contents[number]
    if old is None or new is None:
        return RoundChanges(title, known=False)
    return RoundChanges(title, content_changes(declaration, old, new))


def changes_since_last_round(declaration: Declaration) -> RoundChanges | None:
    """For a declaration back with its preparer: the draft against its last submission; for one
    under review or decided: its round against the one before."""
    if declaration.review_round < 1:
        return None
    if declaration.status not in EDITABLE_STATUSES:
        return changes_for_round(declaration, declaration.review_round)
    old = _submitted(declaration, [declaration.review_round])[declaration.review_round]
    title = f"退回后相对第{declaration.review_round}轮提交内容的修改"
    if old is None:
        return RoundChanges(title, known=False)
    return RoundChanges(title, content_changes(declaration, old, canonical_content(declaration)))
