from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from knox.models import AuthToken

from organisations import services as roles
from organisations.models import Jurisdiction, Membership, Organisation

User = get_user_model()


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "jurisdiction", "parent", "handled_by", "is_active"]
    list_filter = ["jurisdiction", "kind", "is_active"]
    search_fields = ["name", "seal_name", "parent__name"]
    autocomplete_fields = ["parent", "handled_by"]
    list_select_related = ["jurisdiction", "parent", "handled_by"]


class AuditedMembershipMixin:
    """Role changes made in the admin go through organisations.services, which audits them."""

    def save_model(self, request, obj, form, change):
        roles.membership_save(actor=request.user, membership=obj, changed=form.changed_data)

    def delete_model(self, request, obj):
        roles.membership_delete(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            roles.membership_delete(actor=request.user, membership=membership)


@admin.register(Membership)
class MembershipAdmin(AuditedMembershipMixin, admin.ModelAdmin):
    list_display = ["user", "role", "organisation", "jurisdiction", "is_active", "created_at"]
    list_filter = ["role", "jurisdiction", "is_active"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "organisation__name",
    ]
    autocomplete_fields = ["user", "organisation"]
    list_select_related = ["user", "organisation", "jurisdiction"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]
    fields = ["role", "organisation", "jurisdiction", "is_active"]


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        for membership in formset.save(commit=False):
            changed: list[str] = next(
                (f.changed_data for f in formset.forms if f.instance is membership), []
            )
            roles.membership_save(actor=request.user, membership=membership, changed=changed)
        for membership in formset.deleted_objects:
            roles.membership_delete(actor=request.user, membership=membership)
        formset.save_m2m()

    search_fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "memberships__organisation__name",
    ]


# knox's token admin is in English and offers to create tokens by hand; administrators revoke a
# user's tokens by changing the password or deactivating the account (README, "API tokens").
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)
