from django import forms

from partnership.core.forms import LockedFieldsMixin, NoMarkupMixin, OneLineMixin
from partnership.directory.models import Contact, Organisation
from partnership.rules import changeable_organisation_fields


class OrganisationForm(LockedFieldsMixin, OneLineMixin, NoMarkupMixin, forms.ModelForm):
    """An organisation; the fields the person may not set (its network head and kind, but
    for an administrator) are read-only (``partnership.rules.changeable_organisation_fields``)."""

    class Meta:
        model = Organisation
        fields = ["name", "acronym", "kind", "parent", "region", "website"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.lock_fields(set(self.fields) - changeable_organisation_fields(user, self.instance))


class ContactForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "job_title", "organisation", "email", "phone"]
