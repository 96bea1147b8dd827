from django import forms
from django.utils.translation import gettext_lazy as _

from partnership.agreements.models import Agreement, AgreementParty
from partnership.agreements.services import party_invited, party_named
from partnership.core.forms import (
    BaseInlineFormSet,
    DateInput,
    NoMarkupMixin,
    OneLineMixin,
    inline_formset,
)


class AgreementForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = Agreement
        fields = [
            "reference",
            "title",
            "purpose",
            "signed_on",
            "starts_on",
            "ends_on",
            "tacit_renewal",
            "notice_period_months",
            "steering_committee",
            "meeting_frequency",
        ]
        widgets = {
            "signed_on": DateInput,
            "starts_on": DateInput,
            "ends_on": DateInput,
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "steering_committee": forms.Textarea(attrs={"rows": 3}),
        }


class AgreementPartyForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = AgreementParty
        fields = ["organisation", "signatory_name", "signatory_title", "signed_on"]
        widgets = {"signed_on": DateInput}


class BaseAgreementPartyFormSet(BaseInlineFormSet):
    """The parties of an agreement. Naming an organisation invites it
    (``agreement_party_named``): the person's own organisation is accepted at once, another
    one waits for one of its coordinators to accept."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def save_new(self, form, commit=True):
        form.instance = party_named(form.instance, self.user)
        party = super().save_new(form, commit)
        if commit:
            party_invited(party, self.user)
        return party

    def save_existing(self, form, obj, commit=True):
        invited = "organisation" in form.changed_data  # another organisation: an invitation
        if invited:
            party_named(obj, self.user)
        party = super().save_existing(form, obj, commit)
        if invited and commit:
            party_invited(party, self.user)
        return party

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        organisations = [
            form.cleaned_data["organisation"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if len(organisations) != len(set(organisations)):
            raise forms.ValidationError(_("An organisation is listed twice among the parties."))
        if (
            self.instance.pk
            and self.instance.status
            not in (
                Agreement.Status.DRAFT,
                Agreement.Status.NEGOTIATION,
            )
            and len(organisations) < 2
        ):
            raise forms.ValidationError(_("A signed agreement keeps at least two parties."))


AgreementPartyFormSet = inline_formset(
    Agreement,
    AgreementParty,
    form=AgreementPartyForm,
    formset=BaseAgreementPartyFormSet,
    extra=2,
    can_delete=True,
    max_rows=100,  # a network's every regional association is a handful of dozens
)
