"""What changed between two versions of a declaration's content (canonical_content dicts):
fields, funding lines, goals and indicator rows, each added, removed or changed (old → new)."""

from collections import Counter
from dataclasses import dataclass

from declarations.content import DECLARATION_FIELDS
from declarations.models import (
    Declaration,
    FundingSource,
    Horizon,
    IndicatorLevel1,
    IndicatorLevel2,
    Nature,
)
from declarations.validation import field_label

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
KIND_LABELS = {ADDED: "新增", REMOVED: "删除", CHANGED: "修改"}
CHOICE_LABELS = {"nature": Nature}


@dataclass(frozen=True)
class Change:
    kind: str  # added, removed, changed
    what: str  # the field or row, in words
    old: str = ""
    new: str = ""

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def _text(value) -> str:
    return "" if value is None else str(value)


def _choice(choices, code) -> str:
    code = _text(code)
    return str(choices(code).label) if code in choices.values else code


def _field_value(name: str, value) -> str:
    if name in CHOICE_LABELS:
        return _choice(CHOICE_LABELS[name], value)
    return _text(value)


def field_changes(kind: str, old: dict, new: dict) -> list[Change]:
    changes = []
    for name in DECLARATION_FIELDS:
        before, after = _field_value(name, old.get(name)), _field_value(name, new.get(name))
        if before != after:
            what = field_label(kind, name)
            if not before:
                changes.append(Change(ADDED, what, new=after))
            elif not after:
                changes.append(Change(REMOVED, what, old=before))
            else:
                changes.append(Change(CHANGED, what, before, after))
    return changes


def _indicator_words(row: dict) -> str:
    target = (
        f"{_text(row.get('operator'))}{_text(row.get('value'))}{_text(row.get('unit'))}"
        if row.get("operator")
        else _text(row.get("target_text"))
    )
    levels = "/".join(
        part
        for part in (
            _choice(IndicatorLevel1, row.get("level1")),
            _choice(IndicatorLevel2, row.get("level2")),
        )
        if part
    )
    basis = f"（依据：{row['basis']}）" if row.get("basis") else ""
    return f"{levels}：{_text(row.get('name'))}，指标值 {target}{basis}"


def _indicator_key(row: dict) -> tuple:
    return (row.get("horizon"), row.get("level1"), row.get("level2"), row.get("name"))


def _row_title(row: dict) -> str:
    horizon = _choice(Horizon, row.get("horizon")) or "指标"
    return f"绩效指标（{horizon}）"


def indicator_changes(old: list[dict], new: list[dict]) -> list[Change]:
    """Rows with the same horizon, levels and name are the same row (changed if its target or
    basis changed); the others were added or removed."""
    changes = []
    old_by_key: dict[tuple, list[dict]] = {}
    for row in old:
        old_by_key.setdefault(_indicator_key(row), []).append(row)
    for row in new:
        matches = old_by_key.get(_indicator_key(row))
        if matches:
            before = matches.pop(0)
            if _indicator_words(before) != _indicator_words(row):
                changes.append(
                    Change(
                        CHANGED, _row_title(row), _indicator_words(before), _indicator_words(row)
                    )
                )
        else:
            changes.append(Change(ADDED, _row_title(row), new=_indicator_words(row)))
    for rows in old_by_key.values():
        changes.extend(Change(REMOVED, _row_title(row), old=_indicator_words(row)) for row in rows)
    return changes


def _funding_words(line: dict) -> str:
    return f"{_choice(FundingSource, line.get('source'))} {_text(line.get('amount'))}万元"


def funding_changes(old: list[dict], new: list[dict]) -> list[Change]:
    before, after = Counter(map(_funding_words, old)), Counter(map(_funding_words, new))
    removed = list((before - after).elements())
    added = list((after - before).elements())
    return [Change(REMOVED, "资金来源", old=w) for w in removed] + [
        Change(ADDED, "资金来源", new=w) for w in added
    ]


def goal_changes(title: str, old: list[str], new: list[str]) -> list[Change]:
    changes = []
    for number in range(1, max(len(old), len(new)) + 1):
        before = old[number - 1] if number <= len(old) else None
        after = new[number - 1] if number <= len(new) else None
        what = f"{title}{number}"
        if before is None:
            changes.append(Change(ADDED, what, new=_text(after)))
        elif after is None:
            changes.append(Change(REMOVED, what, old=before))
        elif before != after:
            changes.append(Change(CHANGED, what, before, after))
    return changes


def attachment_changes(old: list, new: list) -> list[Change]:
    before = {tuple(item) for item in old}
    after = {tuple(item) for item in new}
    return [Change(REMOVED, "附件", old=name) for name, _sha in sorted(before - after)] + [
        Change(ADDED, "附件", new=name) for name, _sha in sorted(after - before)
    ]


def content_changes(declaration: Declaration, old: dict, new: dict) -> list[Change]:
    """Everything that differs between two canonical contents of the declaration."""
    return [
        *field_changes(declaration.kind, old.get("fields", {}), new.get("fields", {})),
        *funding_changes(old.get("funding_lines", []), new.get("funding_lines", [])),
        *goal_changes(
            "长期绩效目标", old.get("long_term_goals", []), new.get("long_term_goals", [])
        ),
        *goal_changes("年度绩效目标", old.get("annual_goals", []), new.get("annual_goals", [])),
        *indicator_changes(old.get("indicators", []), new.get("indicators", [])),
        *attachment_changes(old.get("attachments", []), new.get("attachments", [])),
    ]
