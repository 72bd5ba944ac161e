"""The demo data set: two jurisdictions from the seed forms, their organisations and accounts."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from declarations.models import Declaration
from declarations.seeds import SEED_DECLARATIONS
from organisations.models import Jurisdiction, Membership, Organisation, OrganisationKind, Role
from review.drafts import declaration_create, declaration_save

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - published demo credential


@dataclass(frozen=True)
class DemoJurisdiction:
    code: str
    name: str
    prefix: str
    bureau: str
    business_section: str
    performance_section: str
    department: str
    unit: str


JURISDICTIONS = [
    DemoJurisdiction(
        code="ezhou",
        name="鄂州市",
        prefix="ez",
        bureau="鄂州市财政局",
        business_section="鄂州市财政局行政政法股",
        performance_section="鄂州市财政局监督绩效股",
        department="中共鄂州市委政法委员会",
        unit="鄂州市综治中心（市网格化管理服务中心）",
    ),
    DemoJurisdiction(
        code="nanyue",
        name="南岳区",
        prefix="ny",
        bureau="南岳区财政局",
        business_section="南岳区财政局行政政法股",
        performance_section="南岳区财政局监督绩效股",
        department="中共南岳区委政法委员会",
        unit="南岳区社会治理和网格信息化服务中心",
    ),
]
DEPARTMENT_SEALS = {"ezhou": "市委政法委", "nanyue": "区委政法委"}

# username suffix -> (role, the organisation it is held in)
PERSONAL_ACCOUNTS = {
    "preparer": (Role.PREPARER, "unit"),
    "head": (Role.UNIT_HEAD, "unit"),
    "dept": (Role.DEPARTMENT_REVIEWER, "department"),
    "finance": (Role.FINANCE_REVIEWER, "business_section"),
    "perf": (Role.PERFORMANCE_REVIEWER, "performance_section"),
}
# Names that appear on the seed forms; the other accounts are named after their post.
# Chinese names go whole into first_name so that get_full_name() reads naturally.
DISPLAY_NAMES = {"ny_preparer": "旷晓红", "ny_head": "袁冕"}


@dataclass
class DemoReport:
    created: int = 0
    updated: int = 0

    def count(self, created: bool) -> None:
        if created:
            self.created += 1


def _organisations(spec: DemoJurisdiction, report: DemoReport) -> dict[str, Organisation]:
    jurisdiction, created = Jurisdiction.objects.get_or_create(
        code=spec.code, defaults={"name": spec.name}
    )
    report.count(created)

    def org(kind: str, name: str, **fields) -> Organisation:
        obj, created = Organisation.objects.update_or_create(
            jurisdiction=jurisdiction, name=name, defaults={"kind": kind, **fields}
        )
        report.count(created)
        return obj

    bureau = org(OrganisationKind.FINANCE_BUREAU, spec.bureau)
    section = org(OrganisationKind.BUSINESS_SECTION, spec.business_section, parent=bureau)
    perf = org(OrganisationKind.PERFORMANCE_SECTION, spec.performance_section, parent=bureau)
    dept = org(
        OrganisationKind.DEPARTMENT,
        spec.department,
        handled_by=section,
        seal_name=DEPARTMENT_SEALS[spec.code],
    )
    unit = org(OrganisationKind.UNIT, spec.unit, parent=dept)
    return {
        "jurisdiction": jurisdiction,
        "bureau": bureau,
        "business_section": section,
        "performance_section": perf,
        "department": dept,
        "unit": unit,
    }


def _user(username: str, password: str, report: DemoReport, **fields):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults=fields)
    report.count(created)
    changed = [name for name, value in fields.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, fields[name])
    # Re-hashing an unchanged password would rewrite the row with a new salt on every run.
    if created or not user.check_password(password):
        user.set_password(password)
        changed.append("password")
    if changed:
        user.save()
        report.updated += 0 if created else 1
    return user


def _membership(user, role: str, report: DemoReport, organisation=None, jurisdiction=None):
    _, created = Membership.objects.get_or_create(
        user=user,
        role=role,
        organisation=organisation,
        jurisdiction=organisation.jurisdiction if organisation else jurisdiction,
    )
    report.count(created)


@transaction.atomic
def load_demo(*, password: str = DEMO_PASSWORD) -> DemoReport:
    """Create or complete the demo organisations and accounts; running it again changes nothing."""
    report = DemoReport()
    for spec in JURISDICTIONS:
        orgs = _organisations(spec, report)
        for suffix, (role, org_key) in PERSONAL_ACCOUNTS.items():
            username = f"{spec.prefix}_{suffix}"
            name = DISPLAY_NAMES.get(username, f"{spec.name}{Role(role).label}")
            user = _user(
                username, password, report, first_name=name, email=f"{username}@example.gov.cn"
            )
            _membership(user, role, report, organisation=orgs[org_key])
        # An auditor of this jurisdiction alone.
        username = f"{spec.prefix}_auditor"
        user = _user(
            username,
            password,
            report,
            first_name=f"{spec.name}审计人员",
            email=f"{username}@example.gov.cn",
        )
        _membership(user, Role.AUDITOR, report, jurisdiction=orgs["unit"].jurisdiction)
    auditor = _user(
        "auditor",
        password,
        report,
        first_name="审计人员",
        email="auditor@example.gov.cn",
    )
    _membership(auditor, Role.AUDITOR, report)
    admin = _user(
        "admin",
        password,
        report,
        first_name="系统管理员",
        email="admin@example.gov.cn",
        is_staff=True,
        is_superuser=True,
    )
    _membership(admin, Role.ADMINISTRATOR, report)
    _seed_declarations(report)
    return report


def _seed_declarations(report: DemoReport) -> None:
    """The seed forms' declarations, as drafts of their units, entered through the services."""
    for code, username, kind, content in SEED_DECLARATIONS:
        unit = Organisation.objects.get(jurisdiction__code=code, kind=OrganisationKind.UNIT)
        year, name = content.fields["fiscal_year"], content.fields["name"]
        if Declaration.objects.filter(reporting_unit=unit, fiscal_year=year, name=name).exists():
            continue
        preparer = get_user_model().objects.get(username=username)
        declaration = declaration_create(
            actor=preparer, unit=unit, fiscal_year=year, kind=kind, name=name
        )
        declaration_save(actor=preparer, declaration_id=declaration.pk, content=content)
        report.created += 1


DEMO_LOGINS = [
    ("ez_preparer", "鄂州市 填报人"),
    ("ez_head", "鄂州市 单位负责人"),
    ("ez_dept", "鄂州市 主管部门审核人"),
    ("ez_finance", "鄂州市 财政业务股室审核人"),
    ("ez_perf", "鄂州市 监督绩效股审核人"),
    ("ny_preparer", "南岳区 填报人"),
    ("ny_head", "南岳区 单位负责人"),
    ("ny_dept", "南岳区 主管部门审核人"),
    ("ny_finance", "南岳区 财政业务股室审核人"),
    ("ny_perf", "南岳区 监督绩效股审核人"),
    ("ez_auditor", "鄂州市 审计人员（只读）"),
    ("ny_auditor", "南岳区 审计人员（只读）"),
    ("auditor", "审计人员（两个辖区，只读）"),
    ("admin", "系统管理员（超级用户）"),
]
