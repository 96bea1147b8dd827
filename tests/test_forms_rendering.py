"""The selects drawn in Python by the form renderer are Django's own widget templates,
character for character (partnership/core/forms.py, ``_select_html``)."""

import pytest
from django import forms
from django.forms import renderers

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
