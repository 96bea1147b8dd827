"""The Jinja2 engine of ``settings.TEMPLATES``: the form template pack's (crispy-forms)."""

from django.template.backends import jinja2
from django.utils.safestring import mark_safe


class Jinja2(jinja2.Jinja2):
    """Django's Jinja2 engine, autoescaping on, whose templates' output is marked safe.

    crispy-forms' filters return what the pack's template drew as it is, for the template
    language to print: Django's Jinja2 templates give a plain ``str``, which it would escape
    again. Autoescaping is what makes marking it safe right: every value a template prints is
    escaped unless it is marked safe itself (a widget drawn by Django, the application's own
    help texts)."""

    def __init__(self, params):
        super().__init__(params)
        if not self.env.autoescape:
            raise ValueError("The Jinja2 engine's output is marked safe: autoescape must be on.")

    def get_template(self, template_name):
        return Template(super().get_template(template_name).template, self)


class Template(jinja2.Template):
    def render(self, context=None, request=None):
        return mark_safe(super().render(context, request))  # noqa: S308 - autoescaped
