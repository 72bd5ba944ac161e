"""Declarations (预算绩效目标申报表): every field of both seed forms, with their rows and stamps."""

import uuid
from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from declarations.formatting import plain_number
from declarations.stages import Stage
from organisations.models import Organisation


class _Digits(TypedDict):
    max_digits: int
    decimal_places: int


MONEY: _Digits = {"max_digits": 14, "decimal_places": 4}  # 万元, down to the yuan


class DeclarationKind(models.TextChoices):
    PROJECT = "project", _("项目支出")
    SPECIAL_FUND = "special_fund", _("专项资金")


class Nature(models.TextChoices):
    NEW = "new", _("新增项目")
    CONTINUING = "continuing", _("延续项目")
    ONGOING = "ongoing", _("持续性项目")


class DeclarationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("审核中")
    RETURNED = "returned", _("退回修改")
    WITHDRAWN = "withdrawn", _("已撤回")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("不予通过")


EDITABLE_STATUSES = (
    DeclarationStatus.DRAFT,
    DeclarationStatus.RETURNED,
    DeclarationStatus.WITHDRAWN,
)


class FundingSource(models.TextChoices):
    CENTRAL = "central", _("中央")
    PROVINCIAL = "provincial", _("省级")
    MUNICIPAL = "municipal", _("市级")
    LOCAL = "local", _("本级")
    OTHER = "other", _("其他")


class Horizon(models.TextChoices):
    ANNUAL = "annual", _("年度目标")
    LONG_TERM = "long_term", _("长期目标")


class IndicatorLevel1(models.TextChoices):
    OUTPUT = "output", _("产出指标")
    BENEFIT = "benefit", _("效益指标")
    SATISFACTION = "satisfaction", _("满意度指标")


class IndicatorLevel2(models.TextChoices):
    QUANTITY = "quantity", _("数量指标")
    QUALITY = "quality", _("质量指标")
    TIMELINESS = "timeliness", _("时效指标")
    COST = "cost", _("成本指标")
    ECONOMIC = "economic", _("经济效益指标")
    SOCIAL = "social", _("社会效益指标")
    ECOLOGICAL = "ecological", _("生态效益指标")
    SUSTAINABLE = "sustainable", _("可持续影响指标")
    SERVICE_SATISFACTION = "service_satisfaction", _("服务对象满意度指标")


# The Ministry of Finance framework: which level-2 indicators belong to which level 1.
LEVEL2_PARENT = {
    IndicatorLevel2.QUANTITY: IndicatorLevel1.OUTPUT,
    IndicatorLevel2.QUALITY: IndicatorLevel1.OUTPUT,
    IndicatorLevel2.TIMELINESS: IndicatorLevel1.OUTPUT,
    IndicatorLevel2.COST: IndicatorLevel1.OUTPUT,
    IndicatorLevel2.ECONOMIC: IndicatorLevel1.BENEFIT,
    IndicatorLevel2.SOCIAL: IndicatorLevel1.BENEFIT,
    IndicatorLevel2.ECOLOGICAL: IndicatorLevel1.BENEFIT,
    IndicatorLevel2.SUSTAINABLE: IndicatorLevel1.BENEFIT,
    IndicatorLevel2.SERVICE_SATISFACTION: IndicatorLevel1.SATISFACTION,
}


class Operator(models.TextChoices):
    GTE = "≥", "≥"
    LTE = "≤", "≤"
    EQ = "=", "="
    GT = ">", ">"
    LT = "<", "<"


class DeclarationQuerySet(models.QuerySet):
    def with_related(self) -> "DeclarationQuerySet":
        return self.select_related(
            "reporting_unit", "reporting_unit__jurisdiction", "competent_department"
        )


# What the reviewers' scopes filter a jurisdiction's declarations on (review.permissions).
JURISDICTION_SCOPE_COLUMNS = ["reached_stage", "competent_department", "reporting_unit"]


class Declaration(models.Model):
    """One performance-target declaration of one reporting unit for one fiscal year."""

    reporting_unit = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="declarations",
        limit_choices_to={"kind": "unit"},
        verbose_name=_("填报单位"),
    )
    competent_department = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="supervised_declarations",
        null=True,
        blank=True,
        verbose_name=_("主管部门"),
    )
    fiscal_year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    kind = models.CharField(_("申报表类型"), max_length=16, choices=DeclarationKind.choices)
    name = models.CharField(_("项目（专项）名称"), max_length=200, blank=True)
    category = models.CharField(
        _("项目类别"), max_length=100, blank=True, help_text=_("如：本级支出项目")
    )
    nature = models.CharField(_("项目性质"), max_length=16, choices=Nature.choices, blank=True)
    period_start = models.DateField(_("起始时间"), null=True, blank=True)
    period_end = models.DateField(_("终止时间"), null=True, blank=True)
    unit_head_name = models.CharField(_("单位负责人"), max_length=50, blank=True)
    owner = models.CharField(_("专项负责人"), max_length=50, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=50, blank=True)
    summary = models.TextField(_("专项概况"), blank=True)
    basis = models.TextField(_("立项依据"), blank=True)
    budget = models.DecimalField(
        _("项目预算（万元）"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    measures = models.TextField(_("单位已有的保证专项实施的制度、措施"), blank=True)
    remarks = models.TextField(_("其他需要说明的问题"), blank=True)

    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=DeclarationStatus.choices,
        default=DeclarationStatus.DRAFT,
        db_index=True,
    )
    stage = models.CharField(
        _("当前环节"), max_length=16, choices=Stage.choices, blank=True, db_index=True
    )
    reached_stage = models.PositiveSmallIntegerField(
        _("已到达的最远环节"),
        default=0,
        help_text=_("0 未提交；1 单位负责人；2 主管部门；3 业务股室；4 监督绩效股。"),
    )
    returned_from_stage = models.CharField(
        _("退回环节"), max_length=16, choices=Stage.choices, blank=True
    )
    review_round = models.PositiveSmallIntegerField(
        _("审核轮次"), default=0, help_text=_("每次提交进入新一轮审核。")
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    pending_input = models.JSONField(
        _("未通过格式检查的输入"),
        null=True,
        blank=True,
        help_text=_("保存草稿时格式有误的原始输入，修正前原样保留。"),
    )
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("复制自"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = _("绩效目标申报表")
        verbose_name_plural = _("绩效目标申报表")
        ordering = ["-fiscal_year", "-updated_at"]
        indexes = [
            models.Index(fields=["reporting_unit", "fiscal_year", "status"]),
            # One per sort order: the list page's (this ordering) and the API's (keyset pages).
            # They carry what the reviewers' scopes filter on (review.permissions: the stage a
            # declaration has reached, its department and unit), so that a page's ids and the
            # API's count are read from the index alone: a finance section's list walked 40,001
            # rows of the heap for 51 (33 ms; 0.1 ms from the index).
            models.Index(
                fields=["-fiscal_year", "-updated_at", "-id"],
                include=JURISDICTION_SCOPE_COLUMNS,
                name="declaration_page_order",
            ),
            models.Index(
                fields=["-updated_at", "-id"],
                include=JURISDICTION_SCOPE_COLUMNS,
                name="declaration_api_order",
            ),
            # The same two orders within one unit (preparers and unit heads) and one competent
            # department (its reviewers): their scope is the index's first column, so a page
            # reads only its own rows, however many other units and departments there are.
            models.Index(
                fields=["reporting_unit", "-fiscal_year", "-updated_at", "-id"],
                name="declaration_unit_page_order",
            ),
            models.Index(
                fields=["competent_department", "-fiscal_year", "-updated_at", "-id"],
                include=["reached_stage"],
                name="declaration_dept_page_order",
            ),
            models.Index(
                fields=["reporting_unit", "-updated_at", "-id"], name="declaration_unit_api_order"
            ),
            models.Index(
                fields=["competent_department", "-updated_at", "-id"],
                include=["reached_stage"],
                name="declaration_dept_api_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year} {self.name or _('（未命名）')}"

    def get_absolute_url(self) -> str:
        return reverse("approvals:declaration_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def jurisdiction(self):
        return self.reporting_unit.jurisdiction

    @property
    def form_title(self) -> str:
        if self.kind == DeclarationKind.SPECIAL_FUND:
            return str(_("专项资金预算绩效目标申报表"))
        return str(_("项目支出绩效目标申报表"))


class FundingLine(models.Model):
    """One source of the declaration's funding (财政资金：中央/省级/市级/本级；其他)."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="funding_lines"
    )
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    source = models.CharField(
        _("资金来源"), max_length=16, choices=FundingSource.choices, blank=True
    )
    amount = models.DecimalField(
        _("金额（万元）"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("资金来源")
        verbose_name_plural = _("资金来源")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.amount}"


class Goal(models.Model):
    """A numbered long-term or annual goal statement."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="goals")
    horizon = models.CharField(_("目标期限"), max_length=16, choices=Horizon.choices)
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    text = models.TextField(_("目标说明"))

    class Meta:
        verbose_name = _("绩效目标")
        verbose_name_plural = _("绩效目标")
        ordering = ["horizon", "position", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


class Indicator(models.Model):
    """One row of the indicator table: levels 1-3, horizon, target and its basis."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="indicators"
    )
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    horizon = models.CharField(
        _("目标期限"), max_length=16, choices=Horizon.choices, default=Horizon.ANNUAL
    )
    level1 = models.CharField(
        _("一级指标"), max_length=16, choices=IndicatorLevel1.choices, blank=True
    )
    level2 = models.CharField(
        _("二级指标"), max_length=24, choices=IndicatorLevel2.choices, blank=True
    )
    name = models.CharField(_("三级指标"), max_length=300, blank=True)
    operator = models.CharField(_("比较"), max_length=1, choices=Operator.choices, blank=True)
    value = models.DecimalField(_("指标值"), max_digits=18, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("计量单位"), max_length=20, blank=True)
    target_text = models.CharField(
        _("定性指标值"), max_length=300, blank=True, help_text=_("如：有所帮助、影响长远")
    )
    basis = models.TextField(_("指标值确定依据"), blank=True)

    class Meta:
        verbose_name = _("绩效指标")
        verbose_name_plural = _("绩效指标")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_level2_display()} {self.name}"

    @property
    def is_quantitative(self) -> bool:
        return bool(self.operator)

    @property
    def target_display(self) -> str:
        """The target as the forms write it: ≥17个, =100%, ≤10万元, or the qualitative text."""
        if not self.is_quantitative:
            return self.target_text
        value = "" if self.value is None else plain_number(self.value)
        return f"{self.operator}{value}{self.unit}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name is random: the original name is kept on the row, never trusted on disk.
    return f"attachments/{instance.declaration_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A supporting document (PDF, Word, Excel or image), type checked by content."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Stamp(models.Model):
    """A stage's sign-off: opinion, signer, seal, time and the digest of what was approved."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="stamps")
    stage = models.CharField(_("环节"), max_length=16, choices=Stage.choices)
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    opinion = models.TextField(_("审核意见"), blank=True)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("签署人"),
    )
    signer_name = models.CharField(_("签署人姓名"), max_length=150)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("盖章单位")
    )
    seal = models.CharField(_("印章"), max_length=200)
    stamped_at = models.DateTimeField(_("盖章时间"))
    digest = models.CharField(_("内容摘要（SHA-256）"), max_length=64)

    class Meta:
        verbose_name = _("签章")
        verbose_name_plural = _("签章")
        ordering = ["stamped_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(digest=""), name="stamp_has_digest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.seal} {self.stamped_at:%Y-%m-%d}"
