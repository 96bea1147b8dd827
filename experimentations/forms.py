from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from conventions.models import Convention
from experimentations.models import (
    EnrolledCompany,
    Evaluation,
    Experimentation,
    ExperimentationPartner,
    Territory,
)
from partnership.forms.common import DateInput, NoMarkupMixin, ReasonForm
from partnership.models import Document


class ExperimentationForm(NoMarkupMixin, forms.ModelForm):
    """The experimentation itself; its agreement is the one it was created under."""

    class Meta:
        model = Experimentation
        fields = ["title", "summary", "priority", "sector", "convention", "starts_on", "ends_on"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "starts_on": DateInput,
            "ends_on": DateInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the conventions annexed to the experimentation's own agreement.
        self.fields["convention"].queryset = Convention.objects.filter(
            agreement_id=self.instance.agreement_id
        ).order_by("annex_number")


class PartnerForm(NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = ExperimentationPartner
        fields = ["organisation", "level", "is_lead"]

    def validate_constraints(self):
        # "One lead at most" is checked across the whole formset (see BasePartnerFormSet):
        # checked row by row against the database, moving the lead from one partner to
        # another in a single save would be refused.
        exclude = self._get_validation_exclusions() | {"is_lead"}
        try:
            self.instance.validate_constraints(exclude=exclude)
        except forms.ValidationError as error:
            self._update_errors(error)


def _kept(formset):
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class BasePartnerFormSet(forms.BaseInlineFormSet):
    def clean(self):
        if any(self.errors):
            return
        rows = _kept(self)
        organisations = [row["organisation"] for row in rows]
        if len(organisations) != len(set(organisations)):
            raise forms.ValidationError(
                _("An organisation is listed twice among the partners."), code="duplicate"
            )
        if sum(1 for row in rows if row.get("is_lead")) > 1:
            raise forms.ValidationError(
                _("Only one partner can lead the experimentation: tick “lead partner” once."),
                code="several_leads",
            )
        super().clean()


class TerritoryForm(forms.ModelForm):
    class Meta:
        model = Territory
        fields = ["region"]


class BaseTerritoryFormSet(forms.BaseInlineFormSet):
    def clean(self):
        if any(self.errors):
            return
        regions = [row["region"] for row in _kept(self)]
        if len(regions) != len(set(regions)):
            raise forms.ValidationError(
                _("A region is listed twice among the territories."), code="duplicate"
            )
        super().clean()


class EvaluationForm(NoMarkupMixin, forms.ModelForm):
    """Method, criteria (written at design time) and findings; saved only when filled."""

    class Meta:
        model = Evaluation
        fields = ["method", "criteria", "findings", "report"]
        widgets = {
            "method": forms.Textarea(attrs={"rows": 3}),
            "criteria": forms.Textarea(attrs={"rows": 3}),
            "findings": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, documents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report"].queryset = (
            documents if documents is not None else Document.objects.none()
        )


PartnerFormSet = forms.inlineformset_factory(
    Experimentation,
    ExperimentationPartner,
    form=PartnerForm,
    formset=BasePartnerFormSet,
    extra=2,
    can_delete=True,
)

TerritoryFormSet = forms.inlineformset_factory(
    Experimentation,
    Territory,
    form=TerritoryForm,
    formset=BaseTerritoryFormSet,
    extra=2,
    can_delete=True,
)

EvaluationFormSet = forms.inlineformset_factory(
    Experimentation,
    Evaluation,
    form=EvaluationForm,
    extra=1,
    max_num=1,
    validate_max=True,
    can_delete=False,
)


class EnrolledCompanyForm(NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = EnrolledCompany
        fields = [
            "name",
            "sector",
            "size_class",
            "region",
            "joined_phase",
            "enrolled_on",
            "left_on",
            "status",
        ]
        widgets = {"enrolled_on": DateInput, "left_on": DateInput}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        # The experimentation is not a field of the form, so Django does not check this
        # unique constraint itself: without this, a duplicate would fail in the database.
        duplicates = EnrolledCompany.objects.filter(
            experimentation_id=self.instance.experimentation_id, name__iexact=name
        ).exclude(pk=self.instance.pk)
        if duplicates.exists():
            raise forms.ValidationError(
                _("This company is already enrolled in the experimentation."), code="duplicate"
            )
        return name


class StopForm(NoMarkupMixin, ReasonForm):
    """Why the experimentation stops: plain text, kept on the record and in its history."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].max_length = 2000
        self.fields["reason"].validators.append(MaxLengthValidator(2000))
