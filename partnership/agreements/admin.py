"""The back office of framework agreements and their parties."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from partnership.agreements.models import Agreement, AgreementParty
from partnership.agreements.services import (
    agreement_expire,
    agreement_negotiate,
    agreement_sign,
    agreement_terminate,
    party_recorded,
)
from partnership.core.admin import (
    HistoryAdmin,
    Inline,
    ReasonActionForm,
    lifecycle_action,
)
from partnership.documents.admin import DocumentInline

# Framework agreements ------------------------------------------------------------------


PARTY_STAMPS = ["invited_by", "invited_at", "answered_by", "answered_at"]


class AgreementPartyInline(Inline):
    """A party named here is invited; the administrator records its answer (its status)."""

    model = AgreementParty
    autocomplete_fields = ["organisation"]
    readonly_fields = PARTY_STAMPS
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(HistoryAdmin):
    list_display = [
        "reference",
        "title",
        "status",
        "signed_on",
        "starts_on",
        "ends_on",
        "notice_by",
        "party_count",
    ]
    list_filter = ["status", "tacit_renewal", "meeting_frequency"]
    search_fields = ["reference", "title", "purpose"]
    date_hierarchy = "starts_on"
    readonly_fields = ["status", "notice_by", "terminated_on", "termination_reason"]
    fieldsets = [
        (None, {"fields": ["reference", "title", "purpose", "status"]}),
        (
            _("Dates"),
            {
                "fields": [
                    "signed_on",
                    "starts_on",
                    "ends_on",
                    "tacit_renewal",
                    "notice_period_months",
                    "notice_by",
                ]
            },
        ),
        (_("Governance"), {"fields": ["steering_committee", "meeting_frequency"]}),
        (_("Termination"), {"fields": ["terminated_on", "termination_reason"]}),
    ]
    inlines = [AgreementPartyInline, DocumentInline]
    action_form = ReasonActionForm
    actions = [
        lifecycle_action(
            Agreement,
            "negotiate",
            lambda obj, user: agreement_negotiate(agreement=obj, user=user),
        ),
        lifecycle_action(
            Agreement,
            "sign",
            lambda obj, user: agreement_sign(agreement=obj, user=user),
        ),
        lifecycle_action(
            Agreement,
            "expire",
            lambda obj, user: agreement_expire(agreement=obj, user=user),
        ),
        lifecycle_action(
            Agreement,
            "terminate",
            lambda obj, user, reason: agreement_terminate(agreement=obj, user=user, reason=reason),
            inputs=["reason"],
        ),
    ]

    def save_formset(self, request, form, formset, change):
        if formset.model is AgreementParty:
            for row in formset.forms:
                if row.has_changed() and not getattr(row, "cleaned_data", {}).get("DELETE"):
                    party_recorded(row.instance, request.user, changed=row.changed_data)
        super().save_formset(request, form, formset, change)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(party_count=Count("parties"))

    @admin.display(description=_("parties"), ordering="party_count")
    def party_count(self, obj):
        return obj.party_count

    @admin.display(description=_("notice date"))
    def notice_by(self, obj):
        return obj.notice_date


@admin.register(AgreementParty)
class AgreementPartyAdmin(HistoryAdmin):
    list_display = [
        "organisation",
        "agreement",
        "status",
        "signatory_name",
        "signatory_title",
        "signed_on",
    ]
    list_select_related = ["organisation", "agreement"]
    list_filter = ["status", "agreement"]
    readonly_fields = PARTY_STAMPS
    search_fields = [
        "organisation__name",
        "organisation__acronym",
        "agreement__reference",
        "signatory_name",
    ]
    autocomplete_fields = ["agreement", "organisation"]

    def save_model(self, request, obj, form, change):
        party_recorded(obj, request.user, changed=form.changed_data)
        super().save_model(request, obj, form, change)
