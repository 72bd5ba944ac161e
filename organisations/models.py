"""Jurisdictions, organisations and the roles people hold in them.

The tables keep the names they had when these models lived in the approvals app."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Jurisdiction(models.Model):
    """A fiscal level (鄂州市, 南岳区) with one finance bureau and its own units."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    resubmit_to_returning_stage = models.BooleanField(
        _("重新提交直达退回环节"),
        default=False,
        help_text=_(
            "勾选后，退回修改并重新提交的申报表直接回到退回它的环节；否则从单位负责人重新审核。"
        ),
    )

    class Meta:
        db_table = "approvals_jurisdiction"
        verbose_name = _("财政辖区")
        verbose_name_plural = _("财政辖区")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganisationKind(models.TextChoices):
    FINANCE_BUREAU = "finance_bureau", _("财政局")
    BUSINESS_SECTION = "business_section", _("财政部门业务股室")
    PERFORMANCE_SECTION = "performance_section", _("财政部门监督绩效股")
    DEPARTMENT = "department", _("主管部门")
    UNIT = "unit", _("填报单位")


# The organisation a kind hangs under: sections under the bureau, units under a department.
# Keyed by str: it is looked up with the stored value, which may be blank or unknown in clean().
PARENT_KIND: dict[str, OrganisationKind] = {
    OrganisationKind.BUSINESS_SECTION: OrganisationKind.FINANCE_BUREAU,
    OrganisationKind.PERFORMANCE_SECTION: OrganisationKind.FINANCE_BUREAU,
    OrganisationKind.UNIT: OrganisationKind.DEPARTMENT,
}


class Organisation(models.Model):
    """A finance bureau, one of its sections, a competent department or a reporting unit."""

    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("财政辖区"),
    )
    kind = models.CharField(_("类型"), max_length=24, choices=OrganisationKind.choices)
    name = models.CharField(_("名称"), max_length=200)
    seal_name = models.CharField(
        _("印章名称"),
        max_length=200,
        blank=True,
        help_text=_("盖章时显示的名称；留空则用组织名称。"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级"),
        help_text=_("股室的上级为财政局；填报单位的上级为其主管部门。"),
    )
    handled_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_departments",
        limit_choices_to={"kind": OrganisationKind.BUSINESS_SECTION},
        verbose_name=_("对口业务股室"),
        help_text=_("仅主管部门：负责审核其所属单位申报的财政业务股室。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        db_table = "approvals_organisation"
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["jurisdiction__name", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "name"], name="organisation_unique_name_per_jurisdiction"
            ),
            models.UniqueConstraint(
                fields=["jurisdiction", "kind"],
                condition=Q(kind__in=["finance_bureau", "performance_section"]),
                name="organisation_one_bureau_and_performance_section",
            ),
            models.CheckConstraint(
                condition=Q(kind="department") | Q(handled_by__isnull=True),
                name="organisation_only_departments_are_handled",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def seal(self) -> str:
        return self.seal_name or self.name

    @property
    def competent_department(self) -> "Organisation | None":
        return self.parent if self.kind == OrganisationKind.UNIT else None

    def clean(self) -> None:
        errors: dict[str, str | Promise] = {}
        expected_parent = PARENT_KIND.get(self.kind)
        if expected_parent is None and self.parent_id:
            errors["parent"] = _("该类型的组织没有上级。")
        if expected_parent is not None:
            if self.parent is None:
                errors["parent"] = _("请选择上级：%(kind)s。") % {
                    "kind": OrganisationKind(expected_parent).label
                }
            elif self.parent.kind != expected_parent:
                errors["parent"] = _("上级必须是%(kind)s。") % {
                    "kind": OrganisationKind(expected_parent).label
                }
            elif self.parent.jurisdiction_id != self.jurisdiction_id:
                errors["parent"] = _("上级必须属于同一财政辖区。")
        if self.handled_by_id and self.kind != OrganisationKind.DEPARTMENT:
            errors["handled_by"] = _("只有主管部门有对口业务股室。")
        elif self.handled_by is not None:
            if self.handled_by.kind != OrganisationKind.BUSINESS_SECTION:
                errors["handled_by"] = _("对口股室必须是财政部门业务股室。")
            elif self.handled_by.jurisdiction_id != self.jurisdiction_id:
                errors["handled_by"] = _("对口股室必须属于同一财政辖区。")
        if errors:
            raise ValidationError(errors)


class Role(models.TextChoices):
    PREPARER = "preparer", _("填报人")
    UNIT_HEAD = "unit_head", _("单位负责人")
    DEPARTMENT_REVIEWER = "department_reviewer", _("主管部门审核人")
    FINANCE_REVIEWER = "finance_reviewer", _("财政业务股室审核人")
    PERFORMANCE_REVIEWER = "performance_reviewer", _("监督绩效股审核人")
    ORGANISATION_HEAD = "organisation_head", _("部门/股室负责人")
    AUDITOR = "auditor", _("审计人员")
    ADMINISTRATOR = "administrator", _("系统管理员")


# Which kind of organisation each organisational role is held in. Keyed by str: it is looked up
# with the stored value, which may be blank or unknown in clean().
ROLE_ORGANISATION_KIND: dict[str, OrganisationKind] = {
    Role.PREPARER: OrganisationKind.UNIT,
    Role.UNIT_HEAD: OrganisationKind.UNIT,
    Role.DEPARTMENT_REVIEWER: OrganisationKind.DEPARTMENT,
    Role.FINANCE_REVIEWER: OrganisationKind.BUSINESS_SECTION,
    Role.PERFORMANCE_REVIEWER: OrganisationKind.PERFORMANCE_SECTION,
}
# Heads of reviewing organisations hear about overdue tasks (escalation) and get digests.
HEAD_ORGANISATION_KINDS = (
    OrganisationKind.DEPARTMENT,
    OrganisationKind.BUSINESS_SECTION,
    OrganisationKind.PERFORMANCE_SECTION,
    OrganisationKind.FINANCE_BUREAU,
)
# Roles held over a whole jurisdiction, or over all of them when no jurisdiction is given.
JURISDICTION_ROLES = (Role.AUDITOR, Role.ADMINISTRATOR)


class MembershipQuerySet(models.QuerySet):
    def active(self) -> "MembershipQuerySet":
        return self.filter(is_active=True)


class Membership(models.Model):
    """A role a person holds in an organisation (or, for auditors and admins, a jurisdiction)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("用户"),
    )
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("组织"),
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("财政辖区"),
        help_text=_("审计人员和管理员：留空表示全部辖区。其他角色自动取组织所在辖区。"),
    )
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        db_table = "approvals_membership"
        verbose_name = _("角色任职")
        verbose_name_plural = _("角色任职")
        ordering = ["user__username", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organisation"],
                condition=Q(organisation__isnull=False),
                name="membership_unique_role_in_organisation",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "jurisdiction"],
                condition=Q(organisation__isnull=True, jurisdiction__isnull=False),
                name="membership_unique_role_in_jurisdiction",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(organisation__isnull=True, jurisdiction__isnull=True),
                name="membership_unique_global_role",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["auditor", "administrator"], organisation__isnull=True)
                | (
                    Q(organisation__isnull=False, jurisdiction__isnull=False)
                    & ~Q(role__in=["auditor", "administrator"])
                ),
                name="membership_scope_matches_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.scope_label}"

    def save(self, *args, **kwargs) -> None:
        if self.organisation is not None:
            self.jurisdiction_id = self.organisation.jurisdiction_id
        super().save(*args, **kwargs)

    @property
    def scope_label(self) -> str:
        if self.organisation_id:
            return str(self.organisation)
        if self.jurisdiction_id:
            return str(self.jurisdiction)
        return str(_("全部辖区"))

    def clean(self) -> None:
        if self.role == Role.ORGANISATION_HEAD:
            if self.organisation is None or self.organisation.kind not in HEAD_ORGANISATION_KINDS:
                raise ValidationError(
                    {"organisation": _("部门/股室负责人必须任职于主管部门、财政局或其股室。")}
                )
            return
        expected_kind = ROLE_ORGANISATION_KIND.get(self.role)
        if expected_kind is None:
            if self.organisation_id:
                raise ValidationError({"organisation": _("审计人员和管理员按辖区任职，不选组织。")})
            return
        if self.organisation is None:
            raise ValidationError({"organisation": _("请选择组织。")})
        if self.organisation.kind != expected_kind:
            raise ValidationError(
                {
                    "organisation": _("%(role)s必须任职于%(kind)s。")
                    % {
                        "role": self.get_role_display(),
                        "kind": OrganisationKind(expected_kind).label,
                    }
                }
            )


class KnownLoginAddress(models.Model):
    """An address an account has logged in from successfully, and when it last did."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="known_login_addresses",
        verbose_name=_("用户"),
    )
    address = models.CharField(_("地址"), max_length=45)
    last_used_at = models.DateTimeField(_("最近登录时间"), db_index=True)

    class Meta:
        verbose_name = _("登录过的地址")
        verbose_name_plural = _("登录过的地址")
        constraints = [
            models.UniqueConstraint(fields=["user", "address"], name="known_login_address_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.address}"
