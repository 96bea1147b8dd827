"""The back office of the directory: organisations, staff members and their accounts, contacts,
themes."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from partnership.core.admin import HistoryAdmin, Inline, OneLineAdminMixin, StackedInline
from partnership.directory import sso
from partnership.directory.models import (
    Contact,
    OIDCIdentity,
    Organisation,
    StaffProfile,
    Theme,
)
from partnership.rules import ORGANISATION_FIELDS, changeable_organisation_fields

User = get_user_model()


# Organisations and people --------------------------------------------------------------


class ContactInline(Inline):
    model = Contact
    fields = ["last_name", "first_name", "email", "phone", "job_title"]
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(HistoryAdmin):
    list_display = ["name", "acronym", "kind", "parent", "region", "staff_count"]
    list_select_related = ["parent"]
    list_filter = ["kind", "region"]
    search_fields = ["name", "acronym"]
    autocomplete_fields = ["parent"]
    inlines = [ContactInline]

    def get_readonly_fields(self, request, obj=None):
        # The rule module says who sets which field (the back office is for administrators,
        # who set them all).
        changeable = changeable_organisation_fields(request.user, obj or Organisation())
        locked = [name for name in ORGANISATION_FIELDS if name not in changeable]
        return [*super().get_readonly_fields(request, obj), *locked]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(staff_count=Count("staff"))

    @admin.display(description=_("staff members"), ordering="staff_count")
    def staff_count(self, obj):
        return obj.staff_count


@admin.register(StaffProfile)
class StaffProfileAdmin(HistoryAdmin):
    list_display = ["__str__", "user", "organisation", "job_title", "role"]
    list_select_related = ["user", "organisation"]
    list_filter = ["role", "organisation__kind"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "organisation__name",
        "organisation__acronym",
    ]
    autocomplete_fields = ["user", "organisation"]


@admin.register(Contact)
class ContactAdmin(HistoryAdmin):
    list_display = ["last_name", "first_name", "organisation", "email", "phone", "job_title"]
    list_select_related = ["organisation"]
    list_filter = ["organisation__kind"]
    search_fields = [
        "last_name",
        "first_name",
        "email",
        "organisation__name",
        "organisation__acronym",
    ]
    autocomplete_fields = ["organisation"]


@admin.register(Theme)
class ThemeAdmin(HistoryAdmin):
    list_display = ["name", "code", "is_active", "action_count"]
    list_filter = ["is_active"]
    search_fields = ["name", "code", "description"]
    prepopulated_fields = {"code": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(action_count=Count("actions"))

    @admin.display(description=_("joint actions"), ordering="action_count")
    def action_count(self, obj):
        return obj.action_count


class StaffProfileInline(StackedInline):
    model = StaffProfile
    fk_name = "user"
    autocomplete_fields = ["organisation"]
    can_delete = False
    max_num = 1


class OIDCIdentityInline(Inline):
    """The person's single sign-on identities: an administrator links one (its issuer and
    ``sub``) or unlinks it; each change is in the security log."""

    model = OIDCIdentity
    fk_name = "user"
    fields = ["issuer", "subject", "email", "created_at", "last_login_at"]
    readonly_fields = ["created_at", "last_login_at"]
    extra = 0


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(OneLineAdminMixin, DjangoUserAdmin):
    """Django's user admin, with the staff member's organisation, job title and role."""

    inlines = [StaffProfileInline, OIDCIdentityInline]
    list_display = ["username", "email", "first_name", "last_name", "organisation", "is_staff"]
    list_select_related = ["profile__organisation"]
    list_filter = [*DjangoUserAdmin.list_filter, "profile__role"]
    search_fields = [*DjangoUserAdmin.search_fields, "profile__organisation__name"]

    @admin.display(description=_("organisation"), ordering="profile__organisation__name")
    def organisation(self, obj):
        try:
            return obj.profile.organisation
        except ObjectDoesNotExist:
            return None

    def save_formset(self, request, form, formset, change):
        if formset.model is not OIDCIdentity:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for identity in formset.deleted_objects:
            sso.log_identity_change("unlinked", identity, by=request.user, request=request)
            identity.delete()
        for identity in instances:
            is_new = identity.pk is None
            identity.save()
            sso.log_identity_change(
                "linked" if is_new else "changed", identity, by=request.user, request=request
            )
