"""The rules of one enrolled company: the form of the company's page, and the same rules for
each row of an imported file (``experimentations.imports``, below the other forms)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from experimentations.models import EnrolledCompany
from partnership.core.forms import DateInput, NoMarkupMixin, OneLineMixin


class EnrolledCompanyForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
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


class CompanyRowForm(EnrolledCompanyForm):
    """A row of an imported file: the one-by-one form's rules, without a query per row.

    The names already enrolled are read once for the whole file; the dates' order, a
    database constraint, is also checked by the model's ``clean()``.
    """

    def __init__(self, *args, enrolled_names=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolled_names = enrolled_names

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if name.casefold() in self.enrolled_names:
            raise forms.ValidationError(
                _("This company is already enrolled in the experimentation."), code="duplicate"
            )
        return name

    def validate_constraints(self):
        pass
