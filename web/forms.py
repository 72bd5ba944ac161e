"""The edit form: the declaration's fields plus four tables (funding, indicators, two goal lists).

Forms only parse what was typed. Nothing is required here, so that a draft can always be saved
incomplete; the submission rules live in declarations.validation.
"""

import copy

from django import forms
from django.forms import formset_factory

from declarations.content import DECLARATION_FIELDS, DeclarationContent
from declarations.formatting import plain_number
from declarations.layout import SPECIAL_FUND_NATURES
from declarations.models import (
    LEVEL2_PARENT,
    Declaration,
    DeclarationKind,
    FundingSource,
    Horizon,
    IndicatorLevel1,
    IndicatorLevel2,
    Operator,
)
from declarations.validation import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    field_label,
    validate_period_date,
)

BLANK = [("", "—")]
MONEY_ATTRS = {"inputmode": "decimal", "class": "num", "autocomplete": "off"}
DATE_ATTRS = {"type": "date", "min": f"{EARLIEST_YEAR}-01-01", "max": f"{LATEST_YEAR}-12-31"}
PERIOD_FIELDS = ("period_start", "period_end")

# Fields each kind of form shows, in the order of the paper form.
FIELDS_BY_KIND = {
    DeclarationKind.PROJECT: [
        "fiscal_year",
        "name",
        "category",
        "nature",
        "unit_head_name",
        "contact_name",
        "contact_phone",
        "basis",
        "budget",
        "remarks",
    ],
    DeclarationKind.SPECIAL_FUND: [
        "fiscal_year",
        "unit_head_name",
        "name",
        "nature",
        "period_start",
        "period_end",
        "owner",
        "contact_name",
        "contact_phone",
        "summary",
        "basis",
        "budget",
        "measures",
        "remarks",
    ],
}


class DeclarationForm(forms.ModelForm):
    class Meta:
        model = Declaration
        fields = DECLARATION_FIELDS
        widgets = {
            "period_start": forms.DateInput(attrs=DATE_ATTRS, format="%Y-%m-%d"),
            "period_end": forms.DateInput(attrs=DATE_ATTRS, format="%Y-%m-%d"),
            "budget": forms.TextInput(attrs=MONEY_ATTRS),
            "fiscal_year": forms.NumberInput(attrs={"min": 2000, "max": 2100}),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "basis": forms.Textarea(attrs={"rows": 6}),
            "measures": forms.Textarea(attrs={"rows": 3}),
            "remarks": forms.Textarea(attrs={"rows": 2}),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        shown = FIELDS_BY_KIND[kind]
        for name in list(self.fields):
            if name not in shown:
                del self.fields[name]
        for name, field in self.fields.items():
            field.required = name == "fiscal_year"
            if name in PERIOD_FIELDS:
                field.validators.append(validate_period_date)
        if "budget" in self.fields:
            self.fields["budget"].error_messages["invalid"] = "预算请填写数字（万元）。"
            if self.instance.budget is not None:
                self.initial["budget"] = plain_number(self.instance.budget)
        for name, field in self.fields.items():
            field.label = field_label(kind, name)
        if kind == DeclarationKind.SPECIAL_FUND:
            self._offer_special_fund_natures()

    def _offer_special_fund_natures(self) -> None:
        """专项属性 offers the boxes of seed 001 (新增项目, 延续项目); a value saved before
        stays on offer so that saving the form never loses it."""
        field = self.fields["nature"]
        kept = {str(value) for value in SPECIAL_FUND_NATURES} | {self.instance.nature}
        field.choices = [(v, label) for v, label in field.choices if v == "" or v in kept]


class FundingForm(forms.Form):
    source = forms.ChoiceField(
        label="资金来源", choices=BLANK + FundingSource.choices, required=False
    )
    amount = forms.DecimalField(
        label="金额（万元）",
        required=False,
        max_digits=14,
        decimal_places=4,
        min_value=0,
        widget=forms.TextInput(attrs=MONEY_ATTRS),
        error_messages={"invalid": "金额请填写数字（万元）。"},
    )


class IndicatorForm(forms.Form):
    horizon = forms.ChoiceField(label="目标期限", choices=Horizon.choices, initial=Horizon.ANNUAL)
    level1 = forms.ChoiceField(
        label="一级指标", choices=BLANK + IndicatorLevel1.choices, required=False
    )
    level2 = forms.ChoiceField(
        label="二级指标", choices=BLANK + IndicatorLevel2.choices, required=False
    )
    # A text area so that a long name wraps within its column; it stays one line (see _one_line).
    name = forms.CharField(
        label="三级指标",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    operator = forms.ChoiceField(label="比较", choices=BLANK + Operator.choices, required=False)
    value = forms.DecimalField(
        label="指标值",
        required=False,
        max_digits=18,
        decimal_places=4,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "num"}),
        error_messages={"invalid": "指标值请填写数字；文字描述请填在“定性指标值”。"},
    )
    unit = forms.CharField(label="计量单位", required=False, max_length=20)
    target_text = forms.CharField(label="定性指标值", required=False, max_length=300)
    basis = forms.CharField(
        label="指标值确定依据", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class GoalForm(forms.Form):
    text = forms.CharField(
        label="目标说明", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _formset(form_class):
    return formset_factory(form_class, extra=0, can_delete=True, can_order=True, max_num=500)


FundingFormSet = _formset(FundingForm)
IndicatorFormSet = _formset(IndicatorForm)
GoalFormSet = _formset(GoalForm)

TABLES = {
    "funding": FundingFormSet,
    "indicators": IndicatorFormSet,
    "long_term_goals": GoalFormSet,
    "annual_goals": GoalFormSet,
}


class EditForms:
    """The declaration form and its four tables, bound or not, parsed together."""

    def __init__(
        self, declaration: Declaration, data=None, content: DeclarationContent | None = None
    ):
        self.declaration = declaration
        initial = content or DeclarationContent()
        # A copy, so that parsing typed input never changes the object the page shows.
        self.main = DeclarationForm(data, instance=copy.copy(declaration), kind=declaration.kind)
        self.field_errors: dict = {}
        self.table_errors: dict = {}
        self.general_errors: list = []
        self.tables = {
            "funding": FundingFormSet(
                data,
                prefix="funding",
                initial=[_plain(row, "amount") for row in initial.funding_lines],
            ),
            "indicators": IndicatorFormSet(
                data,
                prefix="indicators",
                initial=[_plain(row, "value") for row in initial.indicators],
            ),
            "long_term_goals": GoalFormSet(
                data,
                prefix="long_term_goals",
                initial=[{"text": t} for t in initial.long_term_goals],
            ),
            "annual_goals": GoalFormSet(
                data, prefix="annual_goals", initial=[{"text": t} for t in initial.annual_goals]
            ),
        }

    def __getitem__(self, name):
        return self.tables[name]

    def is_valid(self) -> bool:
        results = [self.main.is_valid()] + [t.is_valid() for t in self.tables.values()]
        return all(results)

    def content(self) -> DeclarationContent:
        """What was typed, as a DeclarationContent; call after is_valid()."""
        fields = {name: self.main.cleaned_data.get(name) for name in self.main.fields}
        return DeclarationContent(
            fields=fields,
            funding_lines=[
                {"source": row.get("source") or "", "amount": row.get("amount")}
                for row in _rows(self.tables["funding"])
            ],
            indicators=[_indicator(row) for row in _rows(self.tables["indicators"])],
            long_term_goals=[row["text"] for row in _rows(self.tables["long_term_goals"])],
            annual_goals=[row["text"] for row in _rows(self.tables["annual_goals"])],
        )

    def apply_errors(self, errors) -> None:
        """Hang the submission errors on the fields and rows they concern."""
        self.field_errors = {k: v for k, v in errors.fields.items() if v}
        self.table_errors = {k: v for k, v in errors.tables.items() if v}
        self.general_errors = list(errors.general)
        for table, rows in errors.rows.items():
            forms_in_order = self.tables[table].forms
            for index, messages in rows.items():
                if index < len(forms_in_order) and messages:
                    forms_in_order[index].row_errors = messages

    @property
    def error_count(self) -> int:
        count = len(self.main.errors)
        for formset in self.tables.values():
            count += sum(len(f.errors) for f in formset.forms) + len(formset.non_form_errors())
        return count


def _plain(row: dict, name: str) -> dict:
    """Show 12 rather than 12.0000 in the form."""
    return {**row, name: plain_number(row[name]) if row.get(name) is not None else None}


def _is_blank(row: dict) -> bool:
    return all(v in (None, "") for k, v in row.items() if k not in ("ORDER", "DELETE", "horizon"))


def _rows(formset) -> list[dict]:
    """The rows kept, in the order the preparer put them; wholly empty rows are dropped."""
    ordered = sorted(
        (
            (form.cleaned_data.get("ORDER"), index, form.cleaned_data)
            for index, form in enumerate(formset.forms)
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ),
        key=lambda item: (item[0] is None, item[0] or 0, item[1]),
    )
    return [data for _, _, data in ordered if not _is_blank(data)]


def _one_line(text: str) -> str:
    """A name typed in a text area, without the line breaks a wrapped box invites."""
    return "".join(text.splitlines()).strip()


def _indicator(row: dict) -> dict:
    level2 = row.get("level2") or ""
    level1 = row.get("level1") or (LEVEL2_PARENT.get(level2, "") if level2 else "")
    return {
        "horizon": row.get("horizon") or Horizon.ANNUAL,
        "level1": level1,
        "level2": level2,
        "name": _one_line(row.get("name") or ""),
        "operator": row.get("operator") or "",
        "value": row.get("value"),
        "unit": (row.get("unit") or "").strip(),
        "target_text": (row.get("target_text") or "").strip(),
        "basis": row.get("basis") or "",
    }


class NewDeclarationForm(forms.Form):
    unit = forms.ModelChoiceField(label="填报单位", queryset=None, empty_label=None)
    kind = forms.ChoiceField(label="申报表类型", choices=DeclarationKind.choices)
    fiscal_year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    name = forms.CharField(label="项目（专项）名称", required=False, max_length=200)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class AttachmentForm(forms.Form):
    file = forms.FileField(label="附件")
    description = forms.CharField(label="说明", required=False, max_length=200)
