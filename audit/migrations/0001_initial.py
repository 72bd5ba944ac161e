"""The audit log's models move here from the review app (label approval_workflow); their tables stay."""

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
        ("approvals", "0004_remove_membership_jurisdiction_and_more"),
        ("organisations", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditCheckpoint",
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
                        ("at", models.DateTimeField(verbose_name="时间")),
                        ("heads", models.JSONField(verbose_name="各链头")),
                        ("prev_hash", models.CharField(max_length=64)),
                        ("hash", models.CharField(max_length=64, unique=True)),
                    ],
                    options={
                        "verbose_name": "审计检查点",
                        "verbose_name_plural": "审计检查点",
                        "db_table": "approval_workflow_auditcheckpoint",
                        "ordering": ["pk"],
                    },
                ),
                migrations.CreateModel(
                    name="ChainHead",
                    fields=[
                        (
                            "chain",
                            models.CharField(max_length=64, primary_key=True, serialize=False),
                        ),
                        ("seq", models.PositiveBigIntegerField(default=0)),
                        ("hash", models.CharField(blank=True, max_length=64)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name": "审计链头",
                        "verbose_name_plural": "审计链头",
                        "db_table": "approval_workflow_chainhead",
                    },
                ),
                migrations.CreateModel(
                    name="AuditEvent",
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
                        ("chain", models.CharField(max_length=64, verbose_name="链")),
                        ("seq", models.PositiveBigIntegerField(verbose_name="链内序号")),
                        ("prev_hash", models.CharField(max_length=64, verbose_name="前一事件哈希")),
                        ("hash", models.CharField(max_length=64, unique=True, verbose_name="哈希")),
                        ("at", models.DateTimeField(db_index=True, verbose_name="时间")),
                        (
                            "actor_name",
                            models.CharField(blank=True, max_length=150, verbose_name="操作人姓名"),
                        ),
                        ("role", models.CharField(blank=True, max_length=24, verbose_name="角色")),
                        (
                            "organisation_name",
                            models.CharField(blank=True, max_length=200, verbose_name="组织名称"),
                        ),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("create", "新建"),
                                    ("copy", "复制"),
                                    ("edit", "保存草稿"),
                                    ("attach", "上传附件"),
                                    ("detach", "删除附件"),
                                    ("submit", "提交"),
                                    ("claim", "认领"),
                                    ("release", "释放"),
                                    ("approve", "同意"),
                                    ("return", "退回修改"),
                                    ("reject", "不予通过"),
                                    ("withdraw", "撤回"),
                                    ("reassign", "转交"),
                                    ("hand_over", "移交"),
                                    ("comment", "评论"),
                                    ("urge", "催办"),
                                    ("remind", "提醒"),
                                    ("escalate", "超时升级"),
                                    ("view", "查看"),
                                    ("export", "导出"),
                                    ("role_grant", "授予角色"),
                                    ("role_revoke", "撤销角色"),
                                    ("role_change", "修改角色"),
                                    ("settings", "修改设置"),
                                ],
                                max_length=16,
                                verbose_name="动作",
                            ),
                        ),
                        (
                            "result",
                            models.CharField(
                                choices=[("ok", "成功"), ("refused", "被拒绝")],
                                max_length=8,
                                verbose_name="结果",
                            ),
                        ),
                        ("stage", models.CharField(blank=True, max_length=16, verbose_name="环节")),
                        ("opinion", models.TextField(blank=True, verbose_name="意见")),
                        (
                            "digest",
                            models.CharField(blank=True, max_length=64, verbose_name="内容摘要"),
                        ),
                        (
                            "ip",
                            models.GenericIPAddressField(
                                blank=True, null=True, verbose_name="客户端 IP"
                            ),
                        ),
                        (
                            "details",
                            models.JSONField(blank=True, default=dict, verbose_name="详情"),
                        ),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="操作人",
                            ),
                        ),
                        (
                            "declaration",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="audit_events",
                                to="approvals.declaration",
                                verbose_name="申报表",
                            ),
                        ),
                        (
                            "organisation",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="organisations.organisation",
                                verbose_name="组织",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "审计事件",
                        "verbose_name_plural": "审计事件",
                        "db_table": "approval_workflow_auditevent",
                        "ordering": ["at", "pk"],
                        "indexes": [
                            models.Index(
                                fields=["declaration", "at"], name="approval_wo_declara_b57880_idx"
                            ),
                            models.Index(
                                fields=["actor", "at"], name="approval_wo_actor_i_cb3f4c_idx"
                            ),
                            models.Index(
                                fields=["action", "at"], name="approval_wo_action_ce8016_idx"
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("chain", "seq"), name="audit_event_unique_seq"
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(
            rename_content_types(
                ["auditevent", "chainhead", "auditcheckpoint"], "approval_workflow", "audit"
            ),
            migrations.RunPython.noop,
        ),
    ]
