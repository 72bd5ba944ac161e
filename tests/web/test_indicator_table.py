"""The indicator table of the edit page: 二级指标 offers the level-2 indicators of the chosen
一级指标 only, and the table fits its card. (A pair that does not fit is the submission rules'
to report, next to its row: tests/declarations/test_validation.py.)"""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from declarations.models import LEVEL2_PARENT, IndicatorLevel1
from tests.declarations.helpers import edit_url
from tests.pages import page_of

pytestmark = pytest.mark.django_db

INDICATOR_COLUMNS = [
    "horizon",
    "level1",
    "level2",
    "name",
    "operator",
    "value",
    "unit",
    "target_text",
    "basis",
    "handle",
]


def _level2_selects(response):
    body = page_of(response).by_id("table-indicators").find("tbody")
    return [
        (tr.find("select", name=f"indicators-{i}-level1"), tr.find("select", **{"data-level2": ""}))
        for i, tr in enumerate(body.find_all("tr", cls="form-row"))
    ]


def _chosen(select) -> str:
    return next((o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs), "")


def test_level2_choices_follow_the_chosen_level1(client, ny_relocation, login):
    """Every level-2 option names its level 1; a row shows only those of its level 1."""
    login("ny_preparer")
    rows = _level2_selects(client.get(edit_url(ny_relocation)))
    assert rows
    for level1, level2 in rows:
        chosen = _chosen(level1)
        offered = [
            o.attrs["value"]
            for o in level2.find_all("option")
            if o.attrs["value"] and "hidden" not in o.attrs
        ]
        for option in level2.find_all("option"):
            if option.attrs["value"]:
                assert option.attrs["data-level1"] == LEVEL2_PARENT[option.attrs["value"]]
        assert offered == [code for code, parent in LEVEL2_PARENT.items() if parent == chosen]
    assert {_chosen(level1) for level1, _ in rows} >= {
        IndicatorLevel1.OUTPUT,
        IndicatorLevel1.BENEFIT,
    }


def test_app_js_offers_the_level2_of_the_chosen_level1():
    """The page needs no inline script: app.js filters data-level2 options by data-level1."""
    script = Path(finders.find("approvals/app.js")).read_text(encoding="utf-8")
    assert "select[data-level2]" in script
    assert 'getAttribute("data-level1")' in script
    assert "option.hidden" in script


def _wide_screen_rules() -> str:
    css = Path(finders.find("approvals/app.css")).read_text(encoding="utf-8")
    blocks = [
        css[start : css.index("\n}\n", start)]
        for start in (m.start() for m in re.finditer(r"@media \(min-width: 761px\)", css))
    ]
    (rules,) = [block for block in blocks if "#table-indicators" in block]
    return rules


def test_the_indicator_table_shares_its_width_among_its_columns(client, ny_relocation, login):
    """From 761 px up the table is laid out in fixed shares of its card that add up to 100%,
    and no input asks for more than its column: it cannot be wider than the card (it was
    1,644 px in a 1,134 px card at 1366 px)."""
    login("ny_preparer")
    head = page_of(client.get(edit_url(ny_relocation))).by_id("table-indicators").find("thead")
    columns = [
        next(c[4:] for c in th.classes if c.startswith("col-")) for th in head.find_all("th")
    ]
    assert columns == INDICATOR_COLUMNS

    rules = _wide_screen_rules()
    assert re.search(r"table\.rows#table-indicators \{[^}]*table-layout:fixed", rules)
    assert re.search(r"#table-indicators td input, [^{]*\{[^}]*min-width:0", rules)
    shares = {
        name: float(share)
        for name, share in re.findall(
            r"#table-indicators \.col-(\w+) \{ width:([\d.]+)%; \}", rules
        )
    }
    assert set(shares) == set(INDICATOR_COLUMNS)
    assert sum(shares.values()) == pytest.approx(100)
