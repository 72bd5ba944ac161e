"""Time limits and the calendar move here from notifications; the audit models move to the audit app;
review tasks point at organisations in their new app. Tables stay; only Django's state changes."""

import django.db.models.deletion
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
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("notifications", "0005_beat_schedule"),
        ("approval_workflow", "0004_reviewtask_escalate_at_reviewtask_remind_at"),
        ("organisations", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CalendarDay",
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
                        ("date", models.DateField(unique=True, verbose_name="日期")),
                        (
                            "kind",
                            models.CharField(
                                choices=[("holiday", "节假日（休息）"), ("workday", "调休上班")],
                                max_length=8,
                                verbose_name="类型",
                            ),
                        ),
                        ("name", models.CharField(blank=True, max_length=50, verbose_name="说明")),
                    ],
                    options={
                        "verbose_name": "节假日与调休",
                        "verbose_name_plural": "节假日与调休",
                        "db_table": "notifications_calendarday",
                        "ordering": ["date"],
                    },
                ),
                migrations.CreateModel(
                    name="StageTimeLimit",
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
                            "stage",
                            models.CharField(
                                choices=[
                                    ("unit_head", "单位负责人"),
                                    ("department", "主管部门"),
                                    ("finance", "财政部门业务股室"),
                                    ("performance", "财政部门监督绩效股"),
                                ],
                                max_length=16,
                                verbose_name="环节",
                            ),
                        ),
                        (
                            "working_days",
                            models.PositiveSmallIntegerField(verbose_name="办理时限（工作日）"),
                        ),
                        (
                            "escalate_after_days",
                            models.PositiveSmallIntegerField(
                                default=2,
                                help_text="逾期后再过多少个工作日，升级给辖区管理员。",
                                verbose_name="二次升级（逾期后工作日）",
                            ),
                        ),
                        (
                            "jurisdiction",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="time_limits",
                                to="organisations.jurisdiction",
                                verbose_name="财政辖区",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "环节办理时限",
                        "verbose_name_plural": "环节办理时限",
                        "db_table": "notifications_stagetimelimit",
                    },
                ),
                migrations.DeleteModel(
                    name="AuditCheckpoint",
                ),
                migrations.RemoveField(
                    model_name="auditevent",
                    name="actor",
                ),
                migrations.RemoveField(
                    model_name="auditevent",
                    name="declaration",
                ),
                migrations.RemoveField(
                    model_name="auditevent",
                    name="organisation",
                ),
                migrations.DeleteModel(
                    name="ChainHead",
                ),
                migrations.AlterField(
                    model_name="reviewtask",
                    name="candidate_organisation",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="organisations.organisation",
                        verbose_name="候选组织",
                    ),
                ),
                migrations.DeleteModel(
                    name="AuditEvent",
                ),
                migrations.AddConstraint(
                    model_name="stagetimelimit",
                    constraint=models.UniqueConstraint(
                        fields=("jurisdiction", "stage"), name="time_limit_once_per_stage"
                    ),
                ),
            ],
        ),
        migrations.RunPython(
            rename_content_types(
                ["stagetimelimit", "calendarday"], "notifications", "approval_workflow"
            ),
            migrations.RunPython.noop,
        ),
    ]
