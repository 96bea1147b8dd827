from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Max
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils.translation import gettext_lazy as _

from conventions.models import Convention
from experimentations import imports
from experimentations.models import (
    EnrolledCompany,
    Evaluation,
    Experimentation,
    ExperimentationPartner,
    Gate,
    Indicator,
    Measurement,
    StageCriterion,
    StageDecision,
    Territory,
)
from experimentations.services import Assessment, check_gate
from partnership.core.forms import (
    BaseInlineFormSet,
    DateInput,
    NoMarkupMixin,
    OneLineMixin,
    ReasonForm,
    inline_formset,
)
from partnership.directory.regions import Region
from partnership.documents.models import Document


class ExperimentationForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
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


class PartnerForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
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


class BasePartnerFormSet(BaseInlineFormSet):
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


class TerritoryForm(OneLineMixin, forms.ModelForm):
    class Meta:
        model = Territory
        fields = ["region"]


class BaseTerritoryFormSet(BaseInlineFormSet):
    def clean(self):
        if any(self.errors):
            return
        regions = [row["region"] for row in _kept(self)]
        if len(regions) != len(set(regions)):
            raise forms.ValidationError(
                _("A region is listed twice among the territories."), code="duplicate"
            )
        super().clean()


class EvaluationForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
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


PartnerFormSet = inline_formset(
    Experimentation,
    ExperimentationPartner,
    form=PartnerForm,
    formset=BasePartnerFormSet,
    extra=2,
    can_delete=True,
    max_rows=200,
)

TerritoryFormSet = inline_formset(
    Experimentation,
    Territory,
    form=TerritoryForm,
    formset=BaseTerritoryFormSet,
    extra=2,
    can_delete=True,
    max_rows=len(Region.choices),  # each region once
)

EvaluationFormSet = inline_formset(
    Experimentation,
    Evaluation,
    form=EvaluationForm,
    extra=1,
    can_delete=False,
    max_rows=1,
)


class StopForm(NoMarkupMixin, ReasonForm):
    """Why the experimentation stops: plain text, kept on the record and in its history."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].max_length = 2000
        self.fields["reason"].validators.append(MaxLengthValidator(2000))


# Stage criteria, written gate by gate while designing ------------------------------------


class StageCriterionForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = StageCriterion
        fields = ["gate", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, decided_gates=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The criteria of a gate already decided are the record of that decision: frozen.
        self.fields["gate"].choices = [("", BLANK_CHOICE_LABEL)] + [
            (gate.value, gate.label) for gate in Gate if gate not in decided_gates
        ]
        self.fields["text"].max_length = 1000
        self.fields["text"].validators.append(MaxLengthValidator(1000))


class BaseStageCriterionFormSet(BaseInlineFormSet):
    def save_new(self, form, commit=True):
        criterion = form.save(commit=False)
        criterion.experimentation = self.instance
        last = StageCriterion.objects.filter(
            experimentation=self.instance, gate=criterion.gate
        ).aggregate(last=Max("position"))["last"]
        criterion.position = (last or 0) + 1
        if commit:
            criterion.save()
        return criterion


StageCriterionFormSet = inline_formset(
    Experimentation,
    StageCriterion,
    form=StageCriterionForm,
    formset=BaseStageCriterionFormSet,
    extra=3,
    can_delete=True,
    max_rows=200,
)


# Evaluation indicators and their measurements -------------------------------------------


class IndicatorForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = Indicator
        fields = ["name", "unit", "baseline", "target"]
        localized_fields = ["baseline", "target"]  # "12,5" as French people write it

    def validate_constraints(self):
        # Names are compared across the whole formset (BaseIndicatorFormSet), case aside.
        exclude = self._get_validation_exclusions() | {"name"}
        try:
            self.instance.validate_constraints(exclude=exclude)
        except forms.ValidationError as error:
            self._update_errors(error)


class BaseIndicatorFormSet(BaseInlineFormSet):
    def clean(self):
        if any(self.errors):
            return
        names = [row["name"].strip().casefold() for row in _kept(self)]
        if len(names) != len(set(names)):
            raise forms.ValidationError(_("Two indicators have the same name."), code="duplicate")
        for form in self.forms:
            if (
                form.cleaned_data.get("DELETE")
                and form.instance.pk
                and form.instance.measurements.exists()
            ):
                raise forms.ValidationError(
                    _(
                        "The indicator “%(name)s” has measurements: delete them first on the "
                        "evaluation page."
                    )
                    % {"name": form.instance.name},
                    code="protected",
                )
        super().clean()


IndicatorFormSet = inline_formset(
    Experimentation,
    Indicator,
    form=IndicatorForm,
    formset=BaseIndicatorFormSet,
    extra=2,
    can_delete=True,
    max_rows=200,
)


class MeasurementForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = Measurement
        fields = ["indicator", "company", "measured_on", "value", "comment"]
        widgets = {"measured_on": DateInput}
        localized_fields = ["value"]

    def __init__(self, *args, experimentation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.experimentation = experimentation
        self.fields["indicator"].queryset = Indicator.objects.filter(
            experimentation=experimentation
        ).order_by("position", "name")
        self.fields["company"].queryset = EnrolledCompany.objects.filter(
            experimentation=experimentation
        ).order_by("name")
        self.fields["company"].empty_label = _("The whole experimentation")

    def validate_constraints(self):
        try:
            self.instance.validate_constraints(exclude=self._get_validation_exclusions())
        except forms.ValidationError:
            self.add_error(
                "measured_on",
                forms.ValidationError(
                    _("A value of this indicator is already recorded on this day for it."),
                    code="duplicate",
                ),
            )


# The decision at a gate -----------------------------------------------------------------


class DecisionForm(OneLineMixin, NoMarkupMixin, forms.Form):
    """The decision with, for each criterion of the gate, met or not and the evidence.

    The fields of a criterion are named after its id (``c12-met``...); the view builds the
    form from the criteria of the current gate, never from what the browser sends.
    """

    MET_CHOICES = [("yes", _("met")), ("no", _("not met"))]

    gate = forms.ChoiceField(choices=Gate.choices, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=StageDecision.Outcome.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed to stop (the reason) or to go on although a criterion was not met."),
    )

    def __init__(self, *args, experimentation=None, criteria=(), documents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.experimentation = experimentation
        self.criteria = list(criteria)
        documents = documents if documents is not None else Document.objects.none()
        document_choices = None
        for criterion in self.criteria:
            prefix = f"c{criterion.pk}"
            self.fields[f"{prefix}-met"] = forms.ChoiceField(
                label=_("Criterion met?"),
                choices=self.MET_CHOICES,
                required=False,
                widget=forms.RadioSelect,
            )
            document = forms.ModelChoiceField(
                label=_("Evidence: a document"), queryset=documents, required=False
            )
            # The documents are read once for all the criteria, not once per criterion.
            if document_choices is None:
                document_choices = list(iter(document.choices))  # iter(): no COUNT query
            document.choices = document_choices
            self.fields[f"{prefix}-document"] = document
            self.fields[f"{prefix}-url"] = forms.URLField(
                label=_("or a link"), required=False, max_length=500, assume_scheme="https"
            )
            self.fields[f"{prefix}-note"] = forms.CharField(
                label=_("What was observed"),
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def criterion_rows(self):
        return [
            {
                "criterion": criterion,
                "met": self[f"c{criterion.pk}-met"],
                "document": self[f"c{criterion.pk}-document"],
                "url": self[f"c{criterion.pk}-url"],
                "note": self[f"c{criterion.pk}-note"],
            }
            for criterion in self.criteria
        ]

    def clean(self):
        cleaned = super().clean()
        if self.experimentation is not None and cleaned.get("gate"):
            # A page loaded before someone else decided, or a forged gate: say so, first.
            check_gate(self.experimentation, cleaned["gate"])
        outcome = cleaned.get("outcome")
        comment = (cleaned.get("comment") or "").strip()
        if outcome == StageDecision.Outcome.GO:
            unmet = False
            for criterion in self.criteria:
                prefix = f"c{criterion.pk}"
                met = cleaned.get(f"{prefix}-met")
                if not met:
                    self.add_error(
                        f"{prefix}-met", _("Say whether this criterion was met to go on.")
                    )
                evidence = cleaned.get(f"{prefix}-document") or cleaned.get(f"{prefix}-url")
                if not evidence and f"{prefix}-url" not in self.errors:
                    self.add_error(f"{prefix}-url", _("Give the evidence: a document or a link."))
                unmet = unmet or met == "no"
            if unmet and not comment:
                self.add_error(
                    "comment", _("A criterion was not met: say why the experimentation goes on.")
                )
        elif outcome == StageDecision.Outcome.STOP and not comment:
            self.add_error("comment", _("Say why the experimentation is stopped."))
        return cleaned

    def assessments(self):
        result = {}
        for criterion in self.criteria:
            prefix = f"c{criterion.pk}"
            met = self.cleaned_data.get(f"{prefix}-met")
            document = self.cleaned_data.get(f"{prefix}-document")
            url = self.cleaned_data.get(f"{prefix}-url") or ""
            note = self.cleaned_data.get(f"{prefix}-note") or ""
            if met or document or url or note:
                result[criterion.pk] = Assessment(
                    met={"yes": True, "no": False}.get(met),
                    evidence_document=document,
                    evidence_url=url,
                    note=note,
                )
        return result


# Importing companies from a spreadsheet -------------------------------------------------


class CompanyImportForm(OneLineMixin, forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.table = imports.read_table(upload)
        return upload
