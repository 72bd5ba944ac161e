"""Jurisdictions, organisations and memberships moved to the organisations app; declarations and
stamps point at them there. Tables stay; only Django's state changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("approval_workflow", "0005_calendarday_stagetimelimit_delete_auditcheckpoint_and_more"),
        ("approvals", "0003_alter_membership_role"),
        ("notifications", "0006_delete_calendarday_delete_stagetimelimit"),
        ("organisations", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="membership",
                    name="jurisdiction",
                ),
                migrations.RemoveField(
                    model_name="organisation",
                    name="jurisdiction",
                ),
                migrations.RemoveField(
                    model_name="membership",
                    name="organisation",
                ),
                migrations.RemoveField(
                    model_name="membership",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="organisation",
                    name="handled_by",
                ),
                migrations.RemoveField(
                    model_name="organisation",
                    name="parent",
                ),
                migrations.AlterField(
                    model_name="stamp",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="organisations.organisation",
                        verbose_name="盖章单位",
                    ),
                ),
                migrations.AlterField(
                    model_name="declaration",
                    name="reporting_unit",
                    field=models.ForeignKey(
                        limit_choices_to={"kind": "unit"},
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="declarations",
                        to="organisations.organisation",
                        verbose_name="填报单位",
                    ),
                ),
                migrations.AlterField(
                    model_name="declaration",
                    name="competent_department",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="supervised_declarations",
                        to="organisations.organisation",
                        verbose_name="主管部门",
                    ),
                ),
                migrations.DeleteModel(
                    name="Jurisdiction",
                ),
                migrations.DeleteModel(
                    name="Membership",
                ),
                migrations.DeleteModel(
                    name="Organisation",
                ),
            ],
        ),
    ]
