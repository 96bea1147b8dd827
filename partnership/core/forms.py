"""Form building blocks shared by the staff pages."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms import renderers
from django.forms.formsets import TOTAL_FORM_COUNT
from django.template import TemplateDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from markupsafe import escape


class _ListedChoices(forms.models.ModelChoiceIterator):
    """The options of a model choice field from a queryset read once for several fields."""

    def __init__(self, field, records):
        super().__init__(field)
        self.records = records

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.records:  # the queryset's own cache: read by the first field drawn
            yield self.choice(obj)

    def __len__(self):
        return len(self.records) + (self.field.empty_label is not None)


def share_choices(queryset, *fields):
    """Give the model choice ``fields`` (of one form) the same options, read in one query
    when the first of them is drawn, instead of one query each. What is posted is still
    checked against ``queryset``."""
    for field in fields:
        field.queryset = queryset
        field.iterator = lambda field, records=queryset: _ListedChoices(field, records)
        field.widget.choices = field.choices


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


# Line breaks (U+2028 and U+2029 included) and the other control characters, tab included.
NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def validate_one_line(value):
    if isinstance(value, str) and NOT_ONE_LINE.search(value):
        raise ValidationError(
            _(
                "This field takes one line of text: line breaks, tabs and other control "
                "characters are not allowed."
            ),
            code="not_one_line",
        )


def is_one_line(field) -> bool:
    """A text field drawn as one line (not a text area, nor a password, left as typed)."""
    return isinstance(field, forms.CharField) and not isinstance(
        field.widget, (forms.Textarea, forms.PasswordInput)
    )


class OneLineMixin:
    """Refuse line breaks and control characters in every one-line text field of the form.

    A title, a name or a place is one line wherever it is shown: in a page, a CSV export, an
    e-mail's subject or body (a line break there made a fake header line), a log. Text areas
    keep their line breaks. Every form of the application, and of the admin through
    ``HistoryAdmin``, uses it (tests/test_hostile_input.py checks that none is left out).
    """

    def full_clean(self):
        # At validation, not in __init__: forms add or replace fields in their own __init__.
        for field in self.fields.values():
            if is_one_line(field) and validate_one_line not in field.validators:
                field.validators.append(validate_one_line)
        super().full_clean()


def one_line_form(form_class):
    """The form class with ``OneLineMixin`` (the class itself if it has it)."""
    if issubclass(form_class, OneLineMixin):
        return form_class
    return type(
        form_class.__name__, (OneLineMixin, form_class), {"__module__": form_class.__module__}
    )


class LockedFieldsMixin:
    """Fields the person may not change, shown read-only; a post that changes one is refused.

    ``lock_fields(names)`` disables the fields (a browser does not post them, and Django keeps
    the record's value). A post that carries a different value for one of them anyway was
    made by hand: the whole form is refused, naming the fields, rather than the value being
    quietly dropped, and nothing is saved.
    """

    locked_fields = ()

    def lock_fields(self, names):
        self.locked_fields = [name for name in self.fields if name in set(names)]
        for name in self.locked_fields:
            self.fields[name].disabled = True

    def tampered_fields(self):
        """The locked fields whose posted value differs from the record's."""
        if not self.is_bound:
            return []
        tampered = []
        for name in self.locked_fields:
            key = self.add_prefix(name)
            if key not in self.data:
                continue  # not posted, as a browser does with a disabled field
            field = self.fields[name]
            posted = field.widget.value_from_datadict(self.data, self.files, key)
            field.disabled = False  # a disabled field never "has changed"
            try:
                changed = field.has_changed(self.get_initial_for_field(field, name), posted)
            finally:
                field.disabled = True
            if changed:
                tampered.append(name)
        return tampered

    def clean(self):
        cleaned = super().clean()
        tampered = self.tampered_fields()
        if tampered:
            raise ValidationError(
                _("You may not change these fields: %(fields)s. Nothing was saved."),
                code="locked",
                params={"fields": ", ".join(f"« {self.fields[name].label} »" for name in tampered)},
            )
        return cleaned


class BaseInlineFormSet(forms.BaseInlineFormSet):
    """The inline formsets of the staff pages: a list longer than its maximum is refused in
    the person's words (Django's message speaks of "forms")."""

    default_error_messages = {
        "too_many_forms": ngettext_lazy(
            "This list cannot have more than %(num)d row.",
            "This list cannot have more than %(num)d rows.",
            "num",
        ),
    }

    def total_form_count(self):
        # A post claiming more rows than the list takes is refused (full_clean); the page
        # comes back with the rows it was loaded with, not with absolute_max blank ones.
        if (
            self.is_bound
            and self.management_form.cleaned_data[TOTAL_FORM_COUNT] > self.absolute_max
        ):
            return min(self.initial_form_count(), self.absolute_max)
        return super().total_form_count()


def inline_formset(parent_model, model, *, max_rows, formset=BaseInlineFormSet, **kwargs):
    """An inline formset of at most ``max_rows`` rows, the realistic maximum of the list.

    Django builds one form per row a post announces (its TOTAL_FORMS), up to the formset's
    ``absolute_max``: 2,000 by default, seconds of work for a tampered count. Here a post
    announcing more than ``max_rows`` is a formset error, found before any blank row is
    built, and nothing is saved. Every edit page with its lists at their maximum still
    posts fewer fields than DATA_UPLOAD_MAX_NUMBER_FIELDS (tests/test_large_forms.py).
    """
    if not issubclass(formset, BaseInlineFormSet):
        raise TypeError(f"{formset.__name__} must derive from partnership.core.forms's.")
    return forms.inlineformset_factory(
        parent_model,
        model,
        formset=formset,
        max_num=max_rows,
        absolute_max=max_rows,
        validate_max=True,
        **kwargs,
    )


class TransitionDateForm(OneLineMixin, forms.Form):
    """The date of a signature, asked for when signing."""

    signed_on = forms.DateField(label=_("date of signature"), widget=DateInput)

    needs_object = True

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        if obj is not None and obj.signed_on:
            self.fields["signed_on"].initial = obj.signed_on


class ReasonForm(OneLineMixin, forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))


class BoundField(forms.BoundField):
    """A field as drawn: its label begins with a capital, as people write it ("Date de
    signature", not "date de signature"), whatever the form or the model's verbose name."""

    def __init__(self, form, field, name):
        super().__init__(form, field, name)
        self.label = capfirst(self.label)

    def build_widget_attrs(self, attrs, widget=None):
        # A browser cuts a pasted text at ``maxlength`` without a word: the limit goes to
        # ``data-max-length`` instead, where static/js/char-count.js counts the characters
        # as they are typed, and the server refuses a text too long with its message (the
        # text kept in the field, to be shortened).
        attrs = super().build_widget_attrs(attrs, widget)
        limit = (widget or self.field.widget).attrs.get("maxlength")
        if limit:
            attrs["maxlength"] = False
            attrs["data-max-length"] = limit
        return attrs

    @property
    def widget_kind(self):
        """How bootstrap5_partenariat/field.html draws the widget: "checkbox" (before its label),
        "choices" (radio buttons or a checkbox list, in a fieldset), "file", "select", or
        "input" (text inputs and text areas)."""
        widget = self.field.widget
        if isinstance(widget, forms.CheckboxInput):
            return "checkbox"
        if isinstance(widget, forms.RadioSelect):  # CheckboxSelectMultiple derives from it
            return "choices"
        if isinstance(widget, forms.FileInput):
            return "file"
        if isinstance(widget, forms.Select):
            return "select"
        return "input"

    def with_classes(self, css_class):
        """The widget, Bootstrap's ``css_class`` added to its classes after the widget's
        lower-cased class name ("textinput form-control"): the markup the pages had when
        crispy-bootstrap5's pack drew them, which their styles and tests rely on. As its
        ``crispy_field`` tag did, the classes are kept in the form's own copy of the widget
        (or of each of its sub-widgets)."""
        widget = self.field.widget
        for part in getattr(widget, "widgets", [getattr(widget, "widget", widget)]):
            name = type(part).__name__.lower()
            classes = part.attrs.get("class", "")
            if not classes:
                classes = name
            elif name not in classes:
                classes += f" {name}"
            for css in css_class.split():
                if css not in classes.split():
                    classes += f" {css}"
            part.attrs["class"] = classes
        return str(self)

    def choice_groups(self):
        """The option groups of a radio or checkbox-list field, each option with the attributes
        its input takes (``id``, ``checked``, ``required``, ``aria-invalid``…), for
        bootstrap5_partenariat/field.html, which draws each option in Bootstrap's ``form-check``."""
        widget = self.field.widget
        id_ = widget.attrs.get("id") or self.auto_id
        attrs = self.build_widget_attrs({"id": id_} if id_ else {})
        return widget.optgroups(self.html_name, widget.format_value(self.value()), attrs)


class FormRenderer(renderers.BaseRenderer):
    """Widgets drawn with Django's own Jinja2 widget templates (the same HTML, three to four
    times faster for the hundreds of <option>s of an edit page); the widgets that exist only
    in the template language (the admin's) drawn with it. Every form's fields are drawn
    through ``BoundField`` above, and laid out by crispy-forms' filters with the project's
    template pack (``settings.CRISPY_TEMPLATE_PACK``)."""

    bound_field_class = BoundField
    jinja2 = renderers.Jinja2()
    django = renderers.DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)

    def render(self, template_name, context, request=None):
        if template_name == _SELECT and all(
            option["template_name"] == _OPTION
            for _name, options, _index in context["widget"]["optgroups"]
            for option in options
        ):
            return _select_html(context["widget"])
        return super().render(template_name, context, request=request)


_SELECT = "django/forms/widgets/select.html"
_OPTION = "django/forms/widgets/select_option.html"


def _attrs_html(attrs):
    """Django's widgets/attrs.html, as Python."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select_html(widget):
    """Django's select.html and select_option.html, character for character, as Python: an
    action's edit page has thousands of <option>s (its contacts' rows list the partner
    organisations' people), and drawing each through a template was a third of the page's
    time. tests/test_forms_rendering.py compares both drawings."""
    parts = [f'<select name="{escape(widget["name"])}"{_attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape(group_name)}">')
        parts.extend(
            f'\n  <option value="{escape(option["value"])}"{_attrs_html(option["attrs"])}>'
            f"{escape(option['label'])}</option>"
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts).strip()
