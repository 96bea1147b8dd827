"""``{{ meeting.minutes|markdown }}``: Markdown rendered, then sanitised (core.markup)."""

from django import template

from partnership.core.markup import render_markdown

register = template.Library()


@register.filter(name="markdown", is_safe=True)
def markdown_filter(text):
    return render_markdown(text)
