"""Jurisdictions, organisations and memberships move here from the approvals app; their tables stay."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def rename_content_types(models, old_label, new_label):
    """Keep permissions and admin history: the moved models' content types change app label."""

    def forwards(apps, schema_editor):
        content_types = apps.get_model("contenttypes", "ContentType").objects
        for model in models:
            if not content_types.filter(app_label=new_label, model=model).exists():
                content_types.filter(app_label=old_label, model=model).update(app_label=new_label)

    return forwards


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("approvals", "0003_alter_membership_role"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Jurisdiction",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("code", models.SlugField(max_length=32, unique=True, verbose_name="代码")),
                        (
                            "name",
                            models.CharField(max_length=100, unique=True, verbose_name="名称"),
                        ),
                        (
                            "resubmit_to_returning_stage",
                            models.BooleanField(
                                default=False,
                                help_text="勾选后，退回修改并重新提交的申报表直接回到退回它的环节；否则从单位负责人重新审核。",
                                verbose_name="重新提交直达退回环节",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "财政辖区",
                        "verbose_name_plural": "财政辖区",
                        "db_table": "approvals_jurisdiction",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="Organisation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("finance_bureau", "财政局"),
                                    ("business_section", "财政部门业务股室"),
                                    ("performance_section", "财政部门监督绩效股"),
                                    ("department", "主管部门"),
                                    ("unit", "填报单位"),
                                ],
                                max_length=24,
                                verbose_name="类型",
                            ),
                        ),
                        ("name", models.CharField(max_length=200, verbose_name="名称")),
                        (
                            "seal_name",
                            models.CharField(
                                blank=True,
                                help_text="盖章时显示的名称；留空则用组织名称。",
                                max_length=200,
                                verbose_name="印章名称",
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True, verbose_name="启用")),
                        (
                            "handled_by",
                            models.ForeignKey(
                                blank=True,
                                help_text="仅主管部门：负责审核其所属单位申报的财政业务股室。",
                                limit_choices_to={"kind": "business_section"},
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="handled_departments",
                                to="organisations.organisation",
                                verbose_name="对口业务股室",
                            ),
                        ),
                        (
                            "jurisdiction",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="organisations",
                                to="organisations.jurisdiction",
                                verbose_name="财政辖区",
                            ),
                        ),
                        (
                            "parent",
                            models.ForeignKey(
                                blank=True,
                                help_text="股室的上级为财政局；填报单位的上级为其主管部门。",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="children",
                                to="organisations.organisation",
                                verbose_name="上级",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "组织",
                        "verbose_name_plural": "组织",
                        "db_table": "approvals_organisation",
                        "ordering": ["jurisdiction__name", "kind", "name"],
                    },
                ),
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                choices=[
                                    ("preparer", "填报人"),
                                    ("unit_head", "单位负责人"),
                                    ("department_reviewer", "主管部门审核人"),
                                    ("finance_reviewer", "财政业务股室审核人"),
                                    ("performance_reviewer", "监督绩效股审核人"),
                                    ("organisation_head", "部门/股室负责人"),
                                    ("auditor", "审计人员"),
                                    ("administrator", "系统管理员"),
                                ],
                                max_length=24,
                                verbose_name="角色",
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True, verbose_name="有效")),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="创建时间"),
                        ),
                        (
                            "jurisdiction",
                            models.ForeignKey(
                                blank=True,
                                help_text="审计人员和管理员：留空表示全部辖区。其他角色自动取组织所在辖区。",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="memberships",
                                to="organisations.jurisdiction",
                                verbose_name="财政辖区",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="用户",
                            ),
                        ),
                        (
                            "organisation",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="memberships",
                                to="organisations.organisation",
                                verbose_name="组织",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "角色任职",
                        "verbose_name_plural": "角色任职",
                        "db_table": "approvals_membership",
                        "ordering": ["user__username", "role"],
                    },
                ),
                migrations.AddConstraint(
                    model_name="organisation",
                    constraint=models.UniqueConstraint(
                        fields=("jurisdiction", "name"),
                        name="organisation_unique_name_per_jurisdiction",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="organisation",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("kind__in", ["finance_bureau", "performance_section"])),
                        fields=("jurisdiction", "kind"),
                        name="organisation_one_bureau_and_performance_section",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="organisation",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("kind", "department"), ("handled_by__isnull", True), _connector="OR"
                        ),
                        name="organisation_only_departments_are_handled",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="membership",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("organisation__isnull", False)),
                        fields=("user", "role", "organisation"),
                        name="membership_unique_role_in_organisation",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="membership",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(
                            ("jurisdiction__isnull", False), ("organisation__isnull", True)
                        ),
                        fields=("user", "role", "jurisdiction"),
                        name="membership_unique_role_in_jurisdiction",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="membership",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(
                            ("jurisdiction__isnull", True), ("organisation__isnull", True)
                        ),
                        fields=("user", "role"),
                        name="membership_unique_global_role",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="membership",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("organisation__isnull", True),
                                ("role__in", ["auditor", "administrator"]),
                            ),
                            models.Q(
                                ("jurisdiction__isnull", False),
                                ("organisation__isnull", False),
                                models.Q(("role__in", ["auditor", "administrator"]), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="membership_scope_matches_role",
                    ),
                ),
            ],
        ),
        migrations.RunPython(
            rename_content_types(
                ["jurisdiction", "organisation", "membership"], "approvals", "organisations"
            ),
            migrations.RunPython.noop,
        ),
    ]
