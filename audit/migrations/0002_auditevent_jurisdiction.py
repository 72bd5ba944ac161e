"""Every audit event names the jurisdiction whose auditors read it: the declaration's, else the
organisation's. Existing events get it from what they recorded; it is not part of their hash."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

TABLE = "approval_workflow_auditevent"
TRIGGER = f"{TABLE}_no_change"


def fill_jurisdiction(apps, schema_editor):
    events = apps.get_model("audit", "AuditEvent").objects
    declarations = apps.get_model("approvals", "Declaration").objects
    organisations = apps.get_model("organisations", "Organisation").objects
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # The append-only trigger refuses UPDATE; this one-off fill of a derived column runs as
        # the tables' owner and puts the trigger back at once.
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
    events.filter(declaration__isnull=False).update(
        jurisdiction=Subquery(
            declarations.filter(pk=OuterRef("declaration_id")).values(
                "reporting_unit__jurisdiction"
            )[:1]
        )
    )
    events.filter(declaration__isnull=True, organisation__isnull=False).update(
        jurisdiction=Subquery(
            organisations.filter(pk=OuterRef("organisation_id")).values("jurisdiction")[:1]
        )
    )
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0004_remove_membership_jurisdiction_and_more"),
        ("audit", "0001_initial"),
        ("organisations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="jurisdiction",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organisations.jurisdiction",
                verbose_name="财政辖区",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["jurisdiction", "at"], name="audit_event_jurisdiction_at"),
        ),
        migrations.RunPython(fill_jurisdiction, migrations.RunPython.noop),
    ]
