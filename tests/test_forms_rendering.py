"""The selects drawn in Python by the form renderer are Django's own widget templates,
character for character (partnership/core/forms.py, ``_select_html``); forms and fields are
drawn in Bootstrap 5's markup, what a person typed escaped."""

import re

import pytest
from django import forms
from django.forms import renderers
from django.template import Context, Template

from partnership.core.forms import FormRenderer

TRICKY = 'Rôle « A&B » <b>"cité"</b> l\'été'


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "---------"), ("1", "Un"), ("2", TRICKY)])
    grouped = forms.ChoiceField(
        choices=[
            ("Anact", [("a1", "Alice"), ("a2", TRICKY)]),
            ("INRS", [("i1", "Inès")]),
            ("x", "Sans groupe"),
        ]
    )
    several = forms.MultipleChoiceField(
        choices=[(str(n), f"Organisme {n}") for n in range(5)],
        widget=forms.SelectMultiple(attrs={"data-searchable": True, "hidden": False}),
    )
    empty = forms.ChoiceField(choices=[], required=False)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"plain": "2", "grouped": "a2", "several": ["1", "3"]},
        {"plain": "nope", "grouped": "", "several": ['"><script>']},
    ],
)
def test_selects_drawn_in_python_are_the_templates_own_html(data):
    form = Sample(data=data, renderer=FormRenderer())
    reference = Sample(data=data, renderer=renderers.Jinja2())
    for name in form.fields:
        mine = str(form[name])
        assert mine == str(reference[name])
        assert "<select" in mine
    assert "&lt;b&gt;" in str(form["plain"])


def test_a_select_with_its_own_option_template_keeps_its_template():
    class OwnOption(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    class Form(forms.Form):
        kind = forms.ChoiceField(choices=[("1", "Un")], widget=OwnOption)

    drawn = str(Form(renderer=FormRenderer())["kind"])
    assert drawn == str(Form(renderer=renderers.Jinja2())["kind"])
    assert "<option" not in drawn  # the widget's own option template was used


# Forms and fields in Bootstrap 5's markup: crispy-forms with the project's pack -----------


def _squeezed(html):
    """The markup without the white space between its tags."""
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(<|>)\s*", r"\1", html.replace(" >", ">"))


class Fields(forms.Form):
    title = forms.CharField(label="titre", max_length=20, help_text="Une ligne.")
    done = forms.BooleanField(label="fait", required=False)
    mode = forms.ChoiceField(choices=[("x", "X"), ("y", "Y")], widget=forms.RadioSelect)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)


def _drawn(form, source="{{ form|crispy }}"):
    """Drawn as the pages draw it: crispy-forms' filters, the project's template pack
    (partnership/jinja2/bootstrap5_partenariat/)."""
    return Template("{% load crispy_forms_tags %}" + source).render(Context({"form": form}))


def test_a_form_is_drawn_in_bootstrap_markup_its_errors_named_by_its_fields():
    html = _squeezed(_drawn(Fields(data={"title": ""}, renderer=FormRenderer())))

    assert html == _squeezed(
        """
        <div id="div_id_title" class="mb-3">
          <label for="id_title" class="form-label requiredField">Titre<span class="asteriskField">*</span></label>
          <input type="text" name="title" class="textinput form-control is-invalid" required aria-invalid="true" aria-describedby="id_title_helptext id_title_error" data-max-length="20" id="id_title">
          <div id="id_title_error" class="invalid-feedback"><p id="error_1_id_title"><strong>Ce champ est obligatoire.</strong></p></div>
          <div id="id_title_helptext" class="form-text">Une ligne.</div>
        </div>
        <div class="mb-3"><div id="div_id_done" class="form-check">
          <input type="checkbox" name="done" class="checkboxinput form-check-input" id="id_done">
          <label for="id_done" class="form-check-label">Fait</label>
        </div></div>
        <div id="div_id_mode" class="mb-3">
          <fieldset aria-describedby="id_mode_error">
            <legend class="form-label requiredField fs-6">Mode<span class="asteriskField">*</span></legend>
            <div>
              <div class="form-check">
                <input type="radio" class="form-check-input is-invalid" name="mode" value="x" id="id_mode_0" required aria-invalid="true">
                <label for="id_mode_0" class="form-check-label">X</label>
              </div>
              <div class="form-check">
                <input type="radio" class="form-check-input is-invalid" name="mode" value="y" id="id_mode_1" required aria-invalid="true">
                <label for="id_mode_1" class="form-check-label">Y</label>
                <div id="id_mode_error" class="invalid-feedback"><p id="error_1_id_mode"><strong>Ce champ est obligatoire.</strong></p></div>
              </div>
            </div>
          </fieldset>
        </div>
        <input type="hidden" name="secret" id="id_secret">
        """  # noqa: E501
    )
    # A field alone, as a formset's row draws it.
    field = _squeezed(_drawn(Fields(renderer=FormRenderer()), "{{ form.title|as_crispy_field }}"))
    assert field.startswith('<div id="div_id_title" class="mb-3"><label for="id_title"')


HOSTILE = '<script>alert("x")</script>'


class Hostile(forms.Form):
    name = forms.CharField(label=HOSTILE)
    kind = forms.ChoiceField(label=HOSTILE, choices=[("a", HOSTILE)], widget=forms.RadioSelect)
    colour = forms.ChoiceField(choices=[("a", "A")])
    agreed = forms.BooleanField(label=HOSTILE)

    def clean_name(self):
        raise forms.ValidationError(f"Refusé : {self.cleaned_data['name']}")

    def clean(self):
        raise forms.ValidationError(HOSTILE)


def test_labels_choices_and_errors_are_escaped():
    data = {"name": HOSTILE, "kind": HOSTILE, "colour": HOSTILE}
    for source in (
        "{{ form|crispy }}",
        "{% for field in form %}{{ field|as_crispy_field }}{% endfor %}",
    ):
        html = _drawn(Hostile(data=data, renderer=FormRenderer()), source)

        assert "<script>" not in html
        assert "&lt;script&gt;" in html
    html = _drawn(Hostile(data=data, renderer=FormRenderer()))
    # Labels (text input, radio legend and option, checkbox), the posted value in the
    # errors, and the form's own error at its top.
    assert html.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") >= 7
    assert '<div class="alert alert-block alert-danger">' in html


def test_a_file_field_shows_its_current_file_and_a_disabled_one_says_so_once():
    class Stored:
        url, name = "/media/convention.pdf", "convention.pdf"

    class Upload(forms.Form):
        document = forms.FileField(required=False)
        locked = forms.FileField(required=False, disabled=True)

    stored = Stored()
    html = _drawn(Upload(initial={"document": stored, "locked": stored}, renderer=FormRenderer()))

    assert html.count('<a href="/media/convention.pdf">convention.pdf</a>') == 2
    assert 'name="document-clear" id="document-clear_id" class="form-check-input"' in html
    locked = re.search(r'<input type="file" name="locked"[^>]*>', html).group(0)
    assert locked.count("disabled") == 1
