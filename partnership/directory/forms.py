from django import forms

from partnership.core.forms import NoMarkupMixin, OneLineMixin
from partnership.directory.models import Contact, Organisation


class OrganisationForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "acronym", "kind", "parent", "region", "website"]


class ContactForm(OneLineMixin, NoMarkupMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "job_title", "organisation", "email", "phone"]
