"""Forms of the ad hoc conventions: the convention, its parties and commitments, its amendments."""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conventions.models import Amendment, Commitment, Convention, ConventionParty
from partnership.core.forms import (
    BaseInlineFormSet,
    DateInput,
    NoMarkupMixin,
    OneLineMixin,
    inline_formset,
)
from partnership.directory.models import Organisation, Theme


def organisation_choices(agreement):
    """The organisations, the agreement's parties first: a third party is allowed, not usual.

    Built once per page and handed to every row of the formsets (one query, not one per row).
    """
    party_ids = set(agreement.parties.values_list("organisation_id", flat=True))
    parties, others = [], []
    for organisation in Organisation.objects.only("pk", "name", "acronym"):
        (parties if organisation.pk in party_ids else others).append(
            (organisation.pk, organisation.label)
        )
    return [
        (_("Parties to the framework agreement"), parties),
        (_("Other organisations (third party)"), others),
    ]


class ConventionForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = Convention
        fields = [
            "theme",
            "title",
            "purpose",
            "starts_on",
            "ends_on",
            "financial_terms",
            "intellectual_property",
            "confidentiality",
            "follow_up_arrangements",
        ]
        widgets = {
            "starts_on": DateInput,
            "ends_on": DateInput,
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "financial_terms": forms.Textarea(attrs={"rows": 3}),
            "intellectual_property": forms.Textarea(attrs={"rows": 3}),
            "confidentiality": forms.Textarea(attrs={"rows": 3}),
            "follow_up_arrangements": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Themes no longer in use are not offered, except the one the convention already has.
        self.fields["theme"].queryset = Theme.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.theme_id)
        )


class OrganisationRowMixin:
    """A formset row naming an organisation, offered from choices computed once per page."""

    def __init__(self, *args, organisation_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation_choices is not None:
            field = self.fields["organisation"]
            field.choices = [("", field.empty_label), *organisation_choices]


class ConventionPartyForm(OneLineMixin, OrganisationRowMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = ConventionParty
        fields = ["organisation", "signatory_name", "signatory_title", "signed_on"]
        widgets = {"signed_on": DateInput}

    def has_changed(self):
        # A new row pre-filled with a party to the agreement is kept while it names an
        # organisation; emptied, it is dropped like any blank row.
        if self.is_bound and self.instance.pk is None and self.initial.get("organisation"):
            return any(self.data.get(self.add_prefix(name)) for name in self._meta.fields)
        return super().has_changed()


class BaseConventionPartyFormSet(BaseInlineFormSet):
    def kept_organisations(self):
        return [
            form.cleaned_data["organisation"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        organisations = self.kept_organisations()
        if len(organisations) != len(set(organisations)):
            raise forms.ValidationError(_("An organisation is listed twice among the parties."))
        if (
            self.instance.pk
            and self.instance.status in Convention.SIGNED_STATUSES
            and len(organisations) < 2
        ):
            raise forms.ValidationError(_("A signed convention keeps at least two parties."))


ConventionPartyFormSet = inline_formset(
    Convention,
    ConventionParty,
    form=ConventionPartyForm,
    formset=BaseConventionPartyFormSet,
    extra=2,
    can_delete=True,
    max_rows=100,
)


class CommitmentForm(OneLineMixin, OrganisationRowMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = Commitment
        fields = ["organisation", "description", "person_days", "budget"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class BaseCommitmentFormSet(BaseInlineFormSet):
    """Each commitment is a party's: checked against the parties edited on the same page."""

    parties_formset = None

    def clean(self):
        super().clean()
        if any(self.errors) or self.parties_formset is None:
            return
        if not self.parties_formset.is_valid():
            return
        parties = set(self.parties_formset.kept_organisations())
        outside = sorted(
            {
                str(form.cleaned_data["organisation"])
                for form in self.forms
                if form.cleaned_data
                and not form.cleaned_data.get("DELETE")
                and form.cleaned_data["organisation"] not in parties
            }
        )
        if outside:
            raise forms.ValidationError(
                _(
                    "Each commitment is made by a party to the convention: add %(names)s "
                    "to the parties."
                )
                % {"names": ", ".join(outside)}
            )


CommitmentFormSet = inline_formset(
    Convention,
    Commitment,
    form=CommitmentForm,
    formset=BaseCommitmentFormSet,
    extra=1,
    can_delete=True,
    max_rows=200,
)


class AmendmentForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = Amendment
        fields = ["signed_on", "summary"]
        widgets = {"signed_on": DateInput, "summary": forms.Textarea(attrs={"rows": 4})}

    def clean_signed_on(self):
        signed_on = self.cleaned_data["signed_on"]
        if signed_on and signed_on > timezone.localdate():
            raise forms.ValidationError(_("The date of signature cannot be in the future."))
        return signed_on
