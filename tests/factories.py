"""factory_boy factories and a handle on the demo data set."""

import factory
from django.contrib.auth import get_user_model

from organisations.models import Jurisdiction, Membership, Organisation, OrganisationKind, Role

PASSWORD = "Test@2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov.cn")
    password = factory.django.Password(PASSWORD)


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction

    code = factory.Sequence(lambda n: f"j{n}")
    name = factory.Sequence(lambda n: f"测试辖区{n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    kind = OrganisationKind.UNIT
    name = factory.Sequence(lambda n: f"测试组织{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.PREPARER
    organisation = factory.SubFactory(OrganisationFactory)


class DemoData:
    """Look-ups into the demo data set by the names the issue gives them."""

    def user(self, username: str):
        return get_user_model().objects.get(username=username)

    def org(self, name: str) -> Organisation:
        return Organisation.objects.get(name=name)

    @property
    def ez_unit(self) -> Organisation:
        return self.org("鄂州市综治中心（市网格化管理服务中心）")

    @property
    def ny_unit(self) -> Organisation:
        return self.org("南岳区社会治理和网格信息化服务中心")
