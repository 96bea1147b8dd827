"""The back office of ad hoc conventions.

A convention created here goes through ``convention_create`` (it gets the next annex number
of its agreement) and an amendment through ``amendment_create`` (the next amendment number):
neither number is typed by hand.
"""

from django import forms
from django.contrib import admin
from django.db.models import Count, Exists, OuterRef
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from conventions import services
from conventions.models import Amendment, Commitment, Convention, ConventionParty
from partnership.agreements.models import AgreementParty
from partnership.core.admin import HistoryAdmin, Inline, ReasonActionForm, lifecycle_action
from partnership.core.forms import OneLineMixin
from partnership.documents.admin import DocumentInline


def _adopt_saved(target, saved):
    """Make the admin's unsaved ``target`` the record a service has just created."""
    target.pk = saved.pk
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def _not_amendable(convention):
    return _("Only a signed convention in force can be amended (it is “%(status)s”).") % {
        "status": convention.get_status_display()
    }


class AmendmentForm(OneLineMixin, forms.ModelForm):
    """An amendment form that refuses, next to the form, what ``amendment_create`` would."""

    class Meta:
        model = Amendment
        fields = ["convention", "signed_on", "summary"]

    def clean(self):
        cleaned_data = super().clean()
        convention = cleaned_data.get("convention")
        if self.instance.pk is None and convention and convention.status not in Convention.RUNNING:
            raise forms.ValidationError(_not_amendable(convention))
        return cleaned_data


class AmendmentFormSet(BaseInlineFormSet):
    """New amendments are refused while the convention of the page is not signed."""

    def clean(self):
        super().clean()
        if self.instance.status in Convention.RUNNING:
            return
        for form in self.forms:
            if (
                form.instance.pk is None
                and form.has_changed()
                and not self._should_delete_form(form)
            ):
                form.add_error(None, _not_amendable(self.instance))


class ConventionPartyInline(Inline):
    model = ConventionParty
    fields = ["organisation", "signatory_name", "signatory_title", "signed_on", "third_party"]
    readonly_fields = ["third_party"]
    autocomplete_fields = ["organisation"]
    extra = 0

    def get_queryset(self, request):
        agreement_parties = AgreementParty.objects.filter(
            agreement_id=OuterRef("convention__agreement_id"),
            organisation_id=OuterRef("organisation_id"),
        )
        return (
            super()
            .get_queryset(request)
            .annotate(party_to_agreement=Exists(agreement_parties))
            .select_related("organisation")
        )

    @admin.display(description=_("third party"), boolean=True)
    def third_party(self, obj):
        if obj.pk is None:
            return None
        return not obj.party_to_agreement


class CommitmentInline(Inline):
    model = Commitment
    fields = ["organisation", "description", "person_days", "budget"]
    autocomplete_fields = ["organisation"]
    extra = 0


class AmendmentInline(Inline):
    model = Amendment
    form = AmendmentForm
    formset = AmendmentFormSet
    fields = ["number", "signed_on", "summary"]
    readonly_fields = ["number"]
    extra = 0
    show_change_link = True


@admin.register(Convention)
class ConventionAdmin(HistoryAdmin):
    list_display = [
        "annex_number",
        "title",
        "agreement",
        "theme",
        "status",
        "signed_on",
        "starts_on",
        "ends_on",
        "party_count",
        "amendment_count",
    ]
    list_display_links = ["annex_number", "title"]
    list_select_related = ["agreement", "theme"]
    list_filter = ["status", "theme", "agreement"]
    search_fields = ["title", "purpose", "agreement__reference", "theme__name", "=annex_number"]
    date_hierarchy = "starts_on"
    autocomplete_fields = ["agreement", "theme"]
    readonly_fields = [
        "annex_number",
        "status",
        "date_warnings",
        "terminated_on",
        "termination_reason",
    ]
    fieldsets = [
        (None, {"fields": ["agreement", "annex_number", "theme", "title", "purpose", "status"]}),
        (_("Dates"), {"fields": ["signed_on", "starts_on", "ends_on", "date_warnings"]}),
        (
            _("Conditions of the cooperation"),
            {
                "fields": [
                    "financial_terms",
                    "intellectual_property",
                    "confidentiality",
                    "follow_up_arrangements",
                ]
            },
        ),
        (_("Termination"), {"fields": ["terminated_on", "termination_reason"]}),
    ]
    inlines = [ConventionPartyInline, CommitmentInline, AmendmentInline, DocumentInline]
    action_form = ReasonActionForm
    actions = [
        lifecycle_action(
            Convention,
            "negotiate",
            lambda obj, user: services.convention_negotiate(convention=obj, user=user),
        ),
        lifecycle_action(
            Convention,
            "sign",
            lambda obj, user: services.convention_sign(convention=obj, user=user),
        ),
        lifecycle_action(
            Convention,
            "enter_into_force",
            lambda obj, user: services.convention_enter_into_force(convention=obj, user=user),
        ),
        lifecycle_action(
            Convention,
            "end",
            lambda obj, user: services.convention_end(convention=obj, user=user),
        ),
        lifecycle_action(
            Convention,
            "terminate",
            lambda obj, user, reason: services.convention_terminate(
                convention=obj, user=user, reason=reason
            ),
            inputs=["reason"],
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                party_count=Count("parties", distinct=True),
                amendment_count=Count("amendments", distinct=True),
            )
        )

    @admin.display(description=_("parties"), ordering="party_count")
    def party_count(self, obj):
        return obj.party_count

    @admin.display(description=_("amendments"), ordering="amendment_count")
    def amendment_count(self, obj):
        return obj.amendment_count

    @admin.display(description=_("warnings"))
    def date_warnings(self, obj):
        if obj.pk is None:
            return ""
        return " ".join(str(warning) for warning in obj.date_warnings())

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        fields = {
            name: value
            for name, value in form.cleaned_data.items()
            if name != "agreement" and name in {f.name for f in Convention._meta.concrete_fields}
        }
        created = services.convention_create(agreement=obj.agreement, user=request.user, **fields)
        _adopt_saved(obj, created)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Amendment:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj._history_user = request.user
            obj.delete()
        for obj in instances:
            if obj.pk is None:
                created = services.amendment_create(
                    convention=form.instance,
                    user=request.user,
                    signed_on=obj.signed_on,
                    summary=obj.summary,
                )
                _adopt_saved(obj, created)
            else:
                obj._history_user = request.user
                obj.save()


@admin.register(ConventionParty)
class ConventionPartyAdmin(HistoryAdmin):
    list_display = ["organisation", "convention", "signatory_name", "signatory_title", "signed_on"]
    list_select_related = ["organisation", "convention"]
    search_fields = [
        "organisation__name",
        "organisation__acronym",
        "convention__title",
        "signatory_name",
    ]
    autocomplete_fields = ["convention", "organisation"]


@admin.register(Commitment)
class CommitmentAdmin(HistoryAdmin):
    list_display = ["__str__", "convention", "organisation", "person_days", "budget"]
    list_select_related = ["convention", "organisation"]
    search_fields = ["description", "convention__title", "organisation__name"]
    autocomplete_fields = ["convention", "organisation"]


@admin.register(Amendment)
class AmendmentAdmin(HistoryAdmin):
    form = AmendmentForm
    list_display = ["__str__", "convention", "signed_on", "summary"]
    list_select_related = ["convention"]
    search_fields = ["summary", "convention__title", "=number"]
    date_hierarchy = "signed_on"
    autocomplete_fields = ["convention"]
    readonly_fields = ["number"]
    fields = ["convention", "number", "signed_on", "summary"]
    inlines = [DocumentInline]

    def get_readonly_fields(self, request, obj=None):
        # The convention of an existing amendment stays: its number belongs to it.
        if obj is not None:
            return ["convention", "number"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = services.amendment_create(
            convention=obj.convention,
            user=request.user,
            signed_on=obj.signed_on,
            summary=obj.summary,
        )
        _adopt_saved(obj, created)
