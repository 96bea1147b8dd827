"""Form building blocks shared by the staff pages."""

from django import forms
from django.forms import renderers
from django.template import TemplateDoesNotExist
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class NoMarkupMixin:
    """Refuse HTML tags in free text: the interface shows text, never markup."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and ("<" in value and ">" in value):
                self.add_error(name, _("HTML tags are not allowed in this field."))
        return cleaned


class TransitionDateForm(forms.Form):
    """The date of a signature, asked for when signing."""

    signed_on = forms.DateField(label=_("date of signature"), widget=DateInput)

    needs_object = True

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        if obj is not None and obj.signed_on:
            self.fields["signed_on"].initial = obj.signed_on


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))


class FormRenderer(renderers.BaseRenderer):
    """Widgets drawn with Django's own Jinja2 widget templates (the same HTML, three to four
    times faster for the hundreds of <option>s of an edit page); the widgets that exist only
    in the template language (the admin's) drawn with it."""

    jinja2 = renderers.Jinja2()
    django = renderers.DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)
