"""API representations. Serializers parse and present; services decide and change."""

from django.utils import timezone
from rest_framework import serializers

from audit.models import AuditAction, AuditEvent, AuditResult
from declarations.content import DECLARATION_FIELDS, DeclarationContent, content_of
from declarations.formatting import plain_number
from declarations.ids import MAX_ID
from declarations.models import (
    Attachment,
    Declaration,
    DeclarationKind,
    DeclarationStatus,
    FundingSource,
    Horizon,
    IndicatorLevel1,
    IndicatorLevel2,
    Nature,
    Operator,
    Stage,
    Stamp,
)
from declarations.validation import validate_period_date
from notifications.models import Notification
from review import labels
from review.models import ReviewTask
from review.permissions import actions_for
from review.services import BATCH_APPROVE_MAX_TASKS

BLANK_CHOICE = [("", "")]


def display(help_text: str, **kwargs) -> serializers.CharField:
    """A code's Chinese label, read-only, next to the code it explains."""
    return serializers.CharField(read_only=True, help_text=help_text, **kwargs)


def money(**kwargs):
    return serializers.DecimalField(
        max_digits=14, decimal_places=4, min_value=0, coerce_to_string=True, **kwargs
    )


class FundingLineSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=BLANK_CHOICE + FundingSource.choices, allow_blank=True)
    amount = money(allow_null=True, required=False)


class IndicatorSerializer(serializers.Serializer):
    horizon = serializers.ChoiceField(choices=Horizon.choices, default=Horizon.ANNUAL)
    level1 = serializers.ChoiceField(
        choices=BLANK_CHOICE + IndicatorLevel1.choices, allow_blank=True, default=""
    )
    level2 = serializers.ChoiceField(
        choices=BLANK_CHOICE + IndicatorLevel2.choices, allow_blank=True, default=""
    )
    name = serializers.CharField(max_length=300, allow_blank=True, default="")
    operator = serializers.ChoiceField(
        choices=BLANK_CHOICE + Operator.choices, allow_blank=True, default=""
    )
    value = serializers.DecimalField(
        max_digits=18, decimal_places=4, allow_null=True, required=False, coerce_to_string=True
    )
    unit = serializers.CharField(max_length=20, allow_blank=True, default="")
    target_text = serializers.CharField(max_length=300, allow_blank=True, default="")
    basis = serializers.CharField(allow_blank=True, default="")
    target_display = serializers.SerializerMethodField()

    def get_target_display(self, row) -> str:
        if row.get("operator"):
            value = "" if row.get("value") is None else plain_number(row["value"])
            return f"{row['operator']}{value}{row.get('unit', '')}"
        return row.get("target_text", "")


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = [
            "id",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "description",
            "uploaded_at",
        ]


class StampSerializer(serializers.ModelSerializer):
    signer = serializers.CharField(source="signer.username")
    organisation = serializers.CharField(source="organisation.name")
    stage_display = display("环节名称", source="get_stage_display")

    class Meta:
        model = Stamp
        fields = [
            "stage",
            "stage_display",
            "round",
            "opinion",
            "signer",
            "signer_name",
            "organisation",
            "seal",
            "stamped_at",
            "digest",
        ]


class DeclarationSerializer(serializers.Serializer):
    """A declaration with its funding lines, indicators and goals (nested lists replace)."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=DeclarationKind.choices)
    unit = serializers.IntegerField(
        required=False, help_text="填报单位编号；只在一个单位任填报人时可省略。"
    )
    unit_name = serializers.CharField(read_only=True)
    competent_department = serializers.CharField(read_only=True, allow_null=True)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    name = serializers.CharField(max_length=200, allow_blank=True, default="")
    category = serializers.CharField(max_length=100, allow_blank=True, default="")
    nature = serializers.ChoiceField(
        choices=BLANK_CHOICE + Nature.choices, allow_blank=True, default=""
    )
    period_start = serializers.DateField(
        allow_null=True, required=False, validators=[validate_period_date]
    )
    period_end = serializers.DateField(
        allow_null=True, required=False, validators=[validate_period_date]
    )
    unit_head_name = serializers.CharField(max_length=50, allow_blank=True, required=False)
    owner = serializers.CharField(max_length=50, allow_blank=True, default="")
    contact_name = serializers.CharField(max_length=50, allow_blank=True, required=False)
    contact_phone = serializers.CharField(max_length=50, allow_blank=True, default="")
    summary = serializers.CharField(allow_blank=True, default="")
    basis = serializers.CharField(allow_blank=True, default="")
    budget = money(allow_null=True, required=False)
    measures = serializers.CharField(allow_blank=True, default="")
    remarks = serializers.CharField(allow_blank=True, default="")
    funding_lines = FundingLineSerializer(many=True, required=False)
    indicators = IndicatorSerializer(many=True, required=False)
    long_term_goals = serializers.ListField(
        child=serializers.CharField(allow_blank=False), required=False
    )
    annual_goals = serializers.ListField(
        child=serializers.CharField(allow_blank=False), required=False
    )
    status = serializers.ChoiceField(choices=DeclarationStatus.choices, read_only=True)
    status_display = display("状态名称")
    stage = serializers.ChoiceField(choices=BLANK_CHOICE + Stage.choices, read_only=True)
    stage_display = display("环节名称（不在审核中时为空）")
    version = serializers.IntegerField(
        required=False, help_text="乐观锁：提交时带上读取到的版本号，若已被他人修改则返回 409。"
    )
    review_round = serializers.IntegerField(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    stamps = StampSerializer(many=True, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    allowed_actions = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="调用者现在可以对该申报表执行的操作（与页面上的按钮一致）。",
    )

    def to_representation(self, declaration: Declaration) -> dict:
        content = content_of(declaration)
        data = {
            "id": declaration.pk,
            "kind": declaration.kind,
            "unit": declaration.reporting_unit_id,
            "unit_name": declaration.reporting_unit.name,
            "competent_department": (
                declaration.competent_department.name if declaration.competent_department else None
            ),
            "year": declaration.fiscal_year,
            **{k: v for k, v in content.fields.items() if k != "fiscal_year"},
            "funding_lines": FundingLineSerializer(content.funding_lines, many=True).data,
            "indicators": IndicatorSerializer(content.indicators, many=True).data,
            "long_term_goals": content.long_term_goals,
            "annual_goals": content.annual_goals,
            "status": declaration.status,
            "status_display": declaration.get_status_display(),
            "stage": declaration.stage,
            "stage_display": labels.stage_label(declaration.stage),
            "version": declaration.version,
            "review_round": declaration.review_round,
            "attachments": AttachmentSerializer(declaration.attachments.all(), many=True).data,
            "stamps": StampSerializer(
                declaration.stamps.select_related("signer", "organisation"), many=True
            ).data,
            "created_at": declaration.created_at,
            "updated_at": declaration.updated_at,
            "submitted_at": declaration.submitted_at,
            "allowed_actions": _allowed_actions(self.context, declaration),
        }
        for name in ("budget",):
            data[name] = (
                serializers.DecimalField(
                    max_digits=14, decimal_places=4, coerce_to_string=True
                ).to_representation(data[name])
                if data[name] is not None
                else None
            )
        for name in ("period_start", "period_end"):
            data[name] = data[name].isoformat() if data[name] else None
        for name in ("created_at", "updated_at", "submitted_at"):
            data[name] = (
                serializers.DateTimeField().to_representation(data[name]) if data[name] else None
            )
        return data

    def merged_content(self, declaration: Declaration | None) -> DeclarationContent:
        """The content to save: what was sent, over what the declaration holds (PATCH)."""
        data = self.validated_data
        content = content_of(declaration) if declaration is not None else DeclarationContent()
        if "year" in data:
            content.fields["fiscal_year"] = data["year"]
        for name in DECLARATION_FIELDS:
            if name in data:
                content.fields[name] = data[name]
        if "funding_lines" in data:
            content.funding_lines = [
                {"source": row.get("source", ""), "amount": row.get("amount")}
                for row in data["funding_lines"]
            ]
        if "indicators" in data:
            content.indicators = [
                {
                    "horizon": row.get("horizon", Horizon.ANNUAL),
                    "level1": row.get("level1", ""),
                    "level2": row.get("level2", ""),
                    "name": row.get("name", ""),
                    "operator": row.get("operator", ""),
                    "value": row.get("value"),
                    "unit": row.get("unit", ""),
                    "target_text": row.get("target_text", ""),
                    "basis": row.get("basis", ""),
                }
                for row in data["indicators"]
            ]
        for name in ("long_term_goals", "annual_goals"):
            if name in data:
                setattr(content, name, list(data[name]))
        return content


class DeclarationListSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="fiscal_year")
    unit = serializers.IntegerField(source="reporting_unit_id")
    unit_name = serializers.CharField(source="reporting_unit.name")
    budget = money(allow_null=True)
    status_display = display("状态名称", source="get_status_display")
    stage_display = serializers.SerializerMethodField(help_text="环节名称（不在审核中时为空）")

    class Meta:
        model = Declaration
        fields = [
            "id",
            "name",
            "year",
            "kind",
            "unit",
            "unit_name",
            "budget",
            "status",
            "status_display",
            "stage",
            "stage_display",
            "version",
            "updated_at",
            "submitted_at",
        ]

    def get_stage_display(self, declaration) -> str:
        return labels.stage_label(declaration.stage)


def _allowed_actions(context: dict, obj) -> list[str]:
    request = context.get("request")
    return sorted(actions_for(request.user, obj)) if request is not None else []


class TaskSerializer(serializers.ModelSerializer):
    declaration = serializers.IntegerField(source="declaration_id")
    declaration_name = serializers.CharField(source="declaration.name")
    unit_name = serializers.CharField(source="declaration.reporting_unit.name")
    status = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    due = serializers.DateTimeField(source="due_at", allow_null=True)
    overdue = serializers.SerializerMethodField()
    organisation = serializers.CharField(source="candidate_organisation.name", allow_null=True)
    stage_display = serializers.SerializerMethodField(help_text="该任务自己的环节名称")
    allowed_actions = serializers.SerializerMethodField(
        help_text="调用者现在可以对该任务执行的操作（与页面上的按钮一致）。"
    )

    class Meta:
        model = ReviewTask
        fields = [
            "id",
            "declaration",
            "declaration_name",
            "unit_name",
            "stage",
            "stage_display",
            "status",
            "assignee",
            "organisation",
            "due",
            "overdue",
            "created",
            "finished",
            "allowed_actions",
        ]

    def get_allowed_actions(self, task) -> list[str]:
        return _allowed_actions(self.context, task)

    def get_stage_display(self, task) -> str:
        return labels.stage_label(task.stage)

    def get_status(self, task) -> str:
        return {"DONE": "done", "CANCELED": "canceled"}.get(task.status, "open")

    def get_assignee(self, task) -> str | None:
        return task.owner.get_username() if task.owner_id else None

    def get_overdue(self, task) -> bool:
        return bool(
            task.due_at and task.due_at < timezone.now() and self.get_status(task) == "open"
        )


class OpinionSerializer(serializers.Serializer):
    opinion = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


class RequiredOpinionSerializer(serializers.Serializer):
    opinion = serializers.CharField(max_length=2000, error_messages={"blank": "请填写审核意见。"})


class ReturnSerializer(RequiredOpinionSerializer):
    to = serializers.ChoiceField(
        choices=[("preparer", "填报单位"), ("previous", "上一环节")], default="preparer"
    )


class BatchApproveSerializer(serializers.Serializer):
    tasks = serializers.ListField(
        child=serializers.IntegerField(
            min_value=1,
            max_value=MAX_ID,
            error_messages={"invalid": "任务编号必须是正整数。"},
        ),
        allow_empty=False,
        max_length=BATCH_APPROVE_MAX_TASKS,
        help_text=f"要同意的任务编号，1 至 {BATCH_APPROVE_MAX_TASKS} 项",
        error_messages={
            "empty": "请至少选择一项任务。",
            "max_length": f"一次最多批量同意 {BATCH_APPROVE_MAX_TASKS} 项任务。",
            "not_a_list": "tasks 必须是任务编号的列表。",
        },
    )
    opinion = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=2000,
        help_text="审批意见，每项任务相同；留空为“同意”",
    )


class BatchOutcomeSerializer(serializers.Serializer):
    task = serializers.IntegerField(help_text="任务编号")
    status = serializers.ChoiceField(
        choices=[("approved", "已同意"), ("error", "未能同意")], help_text="approved 或 error"
    )
    code = serializers.CharField(
        help_text="失败原因代码：not_found、already_handled、not_allowed、error；成功时为空"
    )
    detail = serializers.CharField(help_text="失败原因（中文）；成功时为空")


class BatchApproveResultSerializer(serializers.Serializer):
    results = BatchOutcomeSerializer(many=True)


class MoveTaskSerializer(serializers.Serializer):
    to_user = serializers.CharField(help_text="接收人的用户名")
    reason = serializers.CharField(max_length=2000)


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    declaration = serializers.IntegerField(source="declaration_id", allow_null=True)
    organisation = serializers.CharField(source="organisation_name")
    action = serializers.ChoiceField(choices=AuditAction.choices)
    result = serializers.ChoiceField(choices=AuditResult.choices)
    action_display = serializers.SerializerMethodField(help_text="动作名称")
    result_display = serializers.SerializerMethodField(help_text="结果名称")
    role_display = serializers.SerializerMethodField(help_text="角色名称")
    stage_display = serializers.SerializerMethodField(help_text="环节名称")
    details_display = serializers.SerializerMethodField(help_text="详情，每项一个“名称：值”")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "action",
            "action_display",
            "result",
            "result_display",
            "actor",
            "actor_name",
            "role",
            "role_display",
            "organisation",
            "declaration",
            "stage",
            "stage_display",
            "opinion",
            "digest",
            "ip",
            "details",
            "details_display",
            "chain",
            "seq",
            "hash",
        ]

    def get_actor(self, event) -> str | None:
        return event.actor.get_username() if event.actor_id and event.actor else None

    def get_action_display(self, event) -> str:
        return labels.action_label(event.action)

    def get_result_display(self, event) -> str:
        return labels.result_label(event.result)

    def get_role_display(self, event) -> str:
        return labels.role_label(event.role)

    def get_stage_display(self, event) -> str:
        return labels.stage_label(event.stage)

    def get_details_display(self, event) -> list[str]:
        return [
            f"{label}：{value}" for label, value in labels.detail_pairs(event.details, event.action)
        ]


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "event",
            "title",
            "body",
            "url",
            "declaration",
            "created_at",
            "read",
            "read_at",
        ]

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class ApiTokenSerializer(serializers.Serializer):
    prefix = serializers.CharField(source="token_key", help_text="令牌的前 15 个字符，用于撤销")
    created = serializers.DateTimeField(help_text="签发时间")
    expiry = serializers.DateTimeField(help_text="到期时间（每次使用后顺延）")
    current = serializers.SerializerMethodField(help_text="是否为本次请求所用的令牌")

    def get_current(self, token) -> bool:
        caller = getattr(self.context.get("request"), "auth", None)
        return getattr(caller, "digest", None) == token.digest


class RevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="撤销的令牌数")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SubmitErrorSerializer(serializers.Serializer):
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


class AuditProofEventSerializer(serializers.Serializer):
    event = serializers.DictField(help_text="事件的全部记录字段（规范 JSON 即叶数据）。")
    leaf_index = serializers.IntegerField(help_text="事件在审计日志 Merkle 树中的位置（从 0 起）。")
    leaf_hash = serializers.CharField(help_text="叶哈希（十六进制 SHA-256，RFC 9162）。")
    inclusion_proof = serializers.ListField(
        child=serializers.CharField(), help_text="到检查点根哈希的包含证明（十六进制哈希）。"
    )


class AuditProofSerializer(serializers.Serializer):
    format = serializers.CharField(help_text="证明包格式：perf-approvals-audit-proof/1。")
    log_id = serializers.CharField(allow_null=True, help_text="审计日志标识；尚无检查点时为空。")
    checkpoint = serializers.CharField(
        allow_null=True, help_text="用 Ed25519 签名的检查点（C2SP 签名笔记）；尚无检查点时为空。"
    )
    public_key_hint = serializers.CharField(
        required=False, help_text="签名公钥的提示（仅供参考，核验时须用另行取得的公钥）。"
    )
    events = AuditProofEventSerializer(many=True, help_text="检查点已覆盖的事件及其包含证明。")
    pending = serializers.IntegerField(
        help_text="尚未纳入最新检查点的事件数（下一个检查点会包含它们）。"
    )
