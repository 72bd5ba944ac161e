"""The append-only, hash-chained audit log and the chain heads and checkpoints that seal it.

The tables keep the names they had when these models lived in the review app."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("新建")
    COPY = "copy", _("复制")
    EDIT = "edit", _("保存草稿")
    ATTACH = "attach", _("上传附件")
    DETACH = "detach", _("删除附件")
    SUBMIT = "submit", _("提交")
    CLAIM = "claim", _("认领")
    RELEASE = "release", _("释放")
    APPROVE = "approve", _("同意")
    RETURN = "return", _("退回修改")
    REJECT = "reject", _("不予通过")
    WITHDRAW = "withdraw", _("撤回")
    REASSIGN = "reassign", _("转交")
    HAND_OVER = "hand_over", _("移交")
    COMMENT = "comment", _("评论")
    URGE = "urge", _("催办")
    REMIND = "remind", _("提醒")
    ESCALATE = "escalate", _("超时升级")
    VIEW = "view", _("查看")
    EXPORT = "export", _("导出")
    ROLE_GRANT = "role_grant", _("授予角色")
    ROLE_REVOKE = "role_revoke", _("撤销角色")
    ROLE_CHANGE = "role_change", _("修改角色")
    SETTINGS = "settings", _("修改设置")
    AUDIT_PROOF = "audit_proof", _("获取审计证明")


class AuditResult(models.TextChoices):
    OK = "ok", _("成功")
    REFUSED = "refused", _("被拒绝")


_writer: ContextVar["AuditEvent | list[AuditEvent] | None"] = ContextVar(
    "audit_writer", default=None
)


@contextmanager
def writing(event: "AuditEvent | list[AuditEvent]") -> Iterator[None]:
    """Let this one event be saved, or these events be inserted together (by audit.log's
    record_event and record_events, the log's only writers)."""
    token = _writer.set(event)
    try:
        yield
    finally:
        _writer.reset(token)


class AuditEventQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        allowed = _writer.get()
        if not isinstance(allowed, list) or [id(o) for o in objs] != [id(o) for o in allowed]:
            raise TypeError("Audit events are written only by audit.log.record_event(s).")
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One thing that happened. Rows are chained: each carries the HMAC of its predecessor."""

    chain = models.CharField(_("链"), max_length=64)
    seq = models.PositiveBigIntegerField(_("链内序号"))
    prev_hash = models.CharField(_("前一事件哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,  # the (actor, at) index below serves every look-up by actor
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    role = models.CharField(_("角色"), max_length=24, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("组织"),
    )
    organisation_name = models.CharField(_("组织名称"), max_length=200, blank=True)
    # Whose auditors read the event: the declaration's jurisdiction, else the actor's. Derived from
    # the declaration or organisation recorded, so it is not part of the hash.
    jurisdiction = models.ForeignKey(
        "organisations.Jurisdiction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,  # the (jurisdiction, at) index below serves every look-up by jurisdiction
        verbose_name=_("财政辖区"),
    )
    action = models.CharField(_("动作"), max_length=16, choices=AuditAction.choices)
    result = models.CharField(_("结果"), max_length=8, choices=AuditResult.choices)
    declaration = models.ForeignKey(
        "approvals.Declaration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        db_constraint=False,
        db_index=False,  # the (declaration, at) index below serves every look-up by declaration
        verbose_name=_("申报表"),
    )
    stage = models.CharField(_("环节"), max_length=16, blank=True)
    opinion = models.TextField(_("意见"), blank=True)
    digest = models.CharField(_("内容摘要"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("客户端 IP"), null=True, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        db_table = "approval_workflow_auditevent"
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_unique_seq"),
        ]
        indexes = [
            models.Index(fields=["declaration", "at"]),
            models.Index(fields=["actor", "at"]),
            models.Index(fields=["action", "at"]),
            models.Index(fields=["jurisdiction", "at"], name="audit_event_jurisdiction_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.chain}/{self.seq} {self.action} {self.result}"

    def save(self, *args, **kwargs):
        if _writer.get() is not self:
            raise TypeError("Audit events are written only by audit.log.record_event.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")


class ChainHead(models.Model):
    """The newest event of one chain; locked while appending so each chain grows in order."""

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "approval_workflow_chainhead"
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"{self.chain}@{self.seq}"


class AuditCheckpoint(models.Model):
    """A seal over every chain head at one moment; checkpoints are chained to each other."""

    at = models.DateTimeField(_("时间"))
    heads = models.JSONField(_("各链头"))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        db_table = "approval_workflow_auditcheckpoint"
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"checkpoint #{self.pk} {self.at:%Y-%m-%d %H:%M}"


# --- The Merkle log ---------------------------------------------------------------------------
# Events are written without a global lock; the checkpointer gives them their positions as
# leaves of an RFC 9162 Merkle tree, stores the perfect subtrees they complete and signs the
# tree's root. Rows here are only ever inserted.


class AuditLog(models.Model):
    """The log's identity: one row, whose random id names its checkpoints and anchors."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    log_id = models.CharField(_("日志标识"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_log_one_row")]

    def __str__(self) -> str:
        return self.log_id


class AuditLeaf(models.Model):
    """An event's place in the Merkle tree: its position (from 0) and its RFC 9162 leaf hash."""

    position = models.BigIntegerField(_("叶序号"), primary_key=True)
    event = models.OneToOneField(
        AuditEvent,
        on_delete=models.PROTECT,
        related_name="leaf",
        db_constraint=False,
        verbose_name=_("审计事件"),
    )
    hash = models.BinaryField(_("叶哈希"), max_length=32)

    class Meta:
        verbose_name = _("审计叶")
        verbose_name_plural = _("审计叶")
        ordering = ["position"]

    def __str__(self) -> str:
        return f"leaf {self.position} = event #{self.event_id}"


class AuditNode(models.Model):
    """A complete perfect subtree of the Merkle tree (level >= 1), kept so proofs read
    O(log n) rows; it never changes once complete."""

    level = models.PositiveSmallIntegerField(_("层"))
    index = models.BigIntegerField(_("序号"))
    hash = models.BinaryField(_("哈希"), max_length=32)

    class Meta:
        verbose_name = _("审计树节点")
        verbose_name_plural = _("审计树节点")
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="audit_node_unique_position")
        ]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class SignedCheckpoint(models.Model):
    """The tree's size and root at one moment, signed with the log's Ed25519 key as a C2SP
    signed note; the same note is appended to the anchor store outside the database."""

    size = models.PositiveBigIntegerField(_("树大小"), unique=True)
    root = models.CharField(_("根哈希"), max_length=64)
    at = models.DateTimeField(_("签发时间"))
    note = models.TextField(_("签名检查点"))
    log_id = models.CharField(_("日志标识"), max_length=64)
    verifier_key = models.CharField(_("验证公钥"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("签名检查点")
        verbose_name_plural = _("签名检查点")
        ordering = ["size"]

    def __str__(self) -> str:
        return f"checkpoint {self.size} @ {self.at:%Y-%m-%d %H:%M}"


class VerificationRun(models.Model):
    """One run of the log's verification: when, started by what, what it found, how long."""

    at = models.DateTimeField(_("核验时间"), db_index=True)
    trigger = models.CharField(_("发起方式"), max_length=100)
    ok = models.BooleanField(_("结果是否通过"))
    result = models.TextField(_("结果"))
    events = models.PositiveBigIntegerField(_("核验事件数"))
    tree_size = models.PositiveBigIntegerField(_("树大小"), default=0)
    since = models.PositiveBigIntegerField(_("起始检查点"), null=True, blank=True)
    seconds = models.FloatField(_("耗时（秒）"))

    class Meta:
        verbose_name = _("审计核验记录")
        verbose_name_plural = _("审计核验记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'通过' if self.ok else '未通过'}"
