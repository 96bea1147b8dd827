"""``{% load programming %}{% programming_card agreement %}``: on the agreement's page, the
parties' programming of the coming years, and from la rentrée the invitation to enter it."""

from django import template
from django.utils import timezone

from partnership.programmes.services import preparation_opens_on
from partnership.programming.services import opened_years, programming_years
from partnership.rules import enters_programming_for

register = template.Library()


@register.inclusion_tag("partnership/programming_card.html", takes_context=True)
def programming_card(context, agreement):
    today = timezone.localdate()
    next_year = today.year + 1
    opened = getattr(agreement, "next_programming_opened", None)
    if opened is None:
        opened = next_year in opened_years(agreement)
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "agreement": agreement,
        "years": programming_years(today),
        "invited": today >= preparation_opens_on(next_year) or bool(opened),
        "next_year": next_year,
        "enters": user is not None and enters_programming_for(user, agreement) is not None,
    }
