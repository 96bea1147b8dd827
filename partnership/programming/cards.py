"""The side-by-side page's project cards and its list of overlaps, drawn in Python.

A programming may hold a thousand projects and more, and the template language spends about
0.3 ms on each card (its loops, lookups and filters), most of the page's time: each card is
drawn here instead, with the same markup, escaped as the template would (Django's ``escape``
is the standard library's ``html.escape``, called here without its lazy-text wrapper), its
labels translated and its links' pattern reversed once per page, not once per card; a
project named in other cards' overlaps is drawn once. The cards of a column are joined here
too, with the whitespace the template's loop put around them, and so are the overlaps' list
items: ``templates/partnership/programming.html`` prints each column's ``cards`` and each
theme's overlap ``items``. ``tests/snapshots/`` holds the page's markup these must keep.
"""

from html import escape

from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext

# A pk no record has, replaced in the link reversed once (the URL patterns take digits).
_PLACEHOLDER = "2147483647"


def _link_maker(name):
    """A function of a pk giving the URL named ``name`` (one pk argument), reversed once."""
    pattern = reverse(name, args=[int(_PLACEHOLDER)])
    head, tail = pattern.split(_PLACEHOLDER)
    return lambda pk: f"{head}{pk}{tail}"


def draw_cards(rows, can_propose):
    """Set each row's ``columns`` to (party, its cards as HTML) on the side-by-side page."""
    project_url = _link_maker("plannedproject_detail")
    labels = {
        "becomes": escape(gettext("Becomes the joint action")),
        "coordinated": escape(gettext("Coordinated without a joint action")),
        "overlaps_with": escape(gettext("Overlaps with")),
        "priority": gettext("COP: %(priority)s"),
    }
    nothing = f"\n        {_nothing()}\n        "
    links = {}

    def link(project):
        """A project named in an overlap note: its link and its party."""
        if project.pk not in links:
            links[project.pk] = (
                f'<a href="{project_url(project.pk)}">{escape(project.title)}</a>'
                f" ({_organisation_name(project.organisation)})"
            )
        return links[project.pk]

    for row in rows:
        row["columns"] = [
            (
                party,
                mark_safe(  # noqa: S308 - every value in a card is escaped
                    "".join(
                        f"\n        {_card(project, can_propose, project_url, link, labels)}"
                        "\n        "
                        for project in projects
                    )
                    if projects
                    else nothing
                ),
            )
            for party, projects in row["columns"]
        ]


def draw_overlaps(groups, can_propose, propose_url):
    """Set each group's ``items``: its overlaps as the list items the template drew."""
    project_url = _link_maker("plannedproject_detail")
    propose = escape(gettext("Propose a joint action"))
    separator = escape(", ")
    for group in groups:
        items = []
        for overlap in group["overlaps"]:
            first, second = overlap.first, overlap.second
            first_title, second_title = escape(first.title), escape(second.title)
            reasons = separator.join(escape(reason) for reason in overlap.reasons)
            items.append(
                '\n      <li class="overlap d-flex flex-wrap justify-content-between'
                ' align-items-center gap-2 py-2 border-bottom">\n'
                f'        <span><a href="{project_url(first.pk)}">{first_title}</a>'
                f' <span class="text-body-secondary">({_organisation_name(first.organisation)})'
                "</span>\n"
                f'          ↔ <a href="{project_url(second.pk)}">{second_title}</a>'
                f' <span class="text-body-secondary">({_organisation_name(second.organisation)})'
                "</span>\n"
                f'          <span class="small text-body-secondary">– {reasons}</span></span>\n'
                "        "
            )
            if can_propose and not first.joint_action_id and not second.joint_action_id:
                items.append(
                    '\n        <a class="btn btn-sm btn-outline-primary d-print-none"'
                    f' href="{escape(propose_url)}?projects={first.pk}&amp;projects={second.pk}">'
                    f'{propose}<span class="visually-hidden"> : {first_title} ↔ {second_title}'
                    "</span></a>\n        "
                )
            items.append("\n      </li>\n      ")
        group["items"] = mark_safe("".join(items))  # noqa: S308 - every value is escaped


def _nothing():
    text = escape(gettext("Nothing planned on this theme."))
    return f'<p class="small text-body-secondary mb-0">{text}</p>'


def _organisation_name(organisation):
    return escape(organisation.acronym or str(organisation))


def _card(project, can_propose, project_url, link, labels):
    pk = project.pk
    dropped = project.certainty == "dropped"
    classes = "programming-project"
    if project.overlaps_with:
        classes += " has-overlap"
    if dropped:
        classes += " is-dropped"
    parts = [
        f'<article class="{classes}" aria-labelledby="project-{pk}">\n'
        '          <div class="d-flex gap-2 align-items-start">\n            '
    ]
    if can_propose and not project.joint_action_id and not dropped:
        parts.append(
            f'<input class="form-check-input mt-1 d-print-none" type="checkbox" name="projects"'
            f' value="{pk}" form="propose-form" id="tick-{pk}" aria-labelledby="project-{pk}">'
        )
    parts.append(
        f'\n            <h5 class="h6 mb-1" id="project-{pk}"><a href="{project_url(pk)}">'
        f"{escape(project.title)}</a></h5>\n          </div>\n"
        f'          <p class="small mb-1"><span class="badge text-bg-light border">'
        f'{escape(project.kind_label)}</span> <span class="badge certainty certainty-'
        f'{escape(project.certainty)}">{escape(project.certainty_label)}</span>'
    )
    if project.priority:
        priority = labels["priority"] % {"priority": escape(project.priority_label)}
        parts.append(
            f' <span class="badge text-bg-light border text-wrap text-start">{priority}</span>'
        )
    parts.append("\n            ")
    if project.period:
        parts.append(f'<span class="text-body-secondary">{escape(project.period)}</span>')
    parts.append("</p>\n")
    if project.summary:
        summary = Truncator(project.summary).words(30, truncate=" …")
        parts.append(f'          <p class="small mb-1 text-wrap-anywhere">{escape(summary)}</p>\n')
    if project.joint_action_id:
        action = project.joint_action
        parts.append(
            '          <p class="small mb-1"><i class="bi bi-link-45deg" aria-hidden="true"></i>'
            f' {labels["becomes"]} <a href="{escape(action.get_absolute_url())}">'
            f"{escape(str(action))}</a></p>\n"
        )
    elif project.coordinated:
        parts.append(
            '          <p class="small mb-1"><i class="bi bi-check2" aria-hidden="true"></i>'
            f" {labels['coordinated']}</p>\n"
        )
    elif project.overlaps_with:
        others = ", ".join(link(other) for other in project.overlaps_with[:3])
        more = "…" if len(project.overlaps_with) > 3 else ""
        parts.append(
            '          <p class="small mb-1 overlap-note"><i class="bi bi-intersect"'
            f' aria-hidden="true"></i> {labels["overlaps_with"]} {others}{more}</p>\n'
        )
    if project.contact_id:
        contact = project.contact
        name = contact.get_full_name() or contact.username
        parts.append(f'          <p class="small mb-0 text-body-secondary">{escape(name)}</p>\n')
    parts.append("        </article>")
    return "".join(parts)
