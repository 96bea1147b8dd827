"""Staff pages of each party's programming: the side-by-side page of a year, a planned
project's pages, the opening, and the proposal of a joint action from projects."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from partnership.agreements.models import Agreement, AgreementParty
from partnership.core import crud, fragments
from partnership.core.fragments import tables_of
from partnership.core.lifecycle import TransitionError
from partnership.directory.models import Organisation, Priority, Sector, Theme
from partnership.programmes.models import Action, Programme
from partnership.programmes.views import ActionCreate
from partnership.programming.cards import draw_cards, draw_overlaps
from partnership.programming.filters import PlannedProjectFilter
from partnership.programming.forms import CoordinationForm, PlannedProjectForm
from partnership.programming.models import PlannedProject
from partnership.programming.services import (
    check_proposal,
    find_overlaps,
    is_open,
    link_projects,
    merged_action_initial,
    opened_years,
    opens_on,
    overlaps_by_theme,
    programming_open,
    programming_years,
    project_coordinate,
    proposal_programme,
)
from partnership.rules import (
    PartyStatus,
    changes_any_programming,
    enters_programming_for,
)

MAX_OVERLAPS_SHOWN = 60


def visible_agreement(request, pk):
    return get_object_or_404(Agreement.objects.all().visible_to(request.user), pk=pk)


def year_of(kwargs) -> int:
    year = kwargs["year"]
    if not 2000 <= year <= 2100:
        raise Http404
    return year


def programming_url(agreement_id, year):
    return reverse("programming", args=[agreement_id, year])


def programming_rows(agreement, year, projects):
    """The page's grid: the parties (accepted) in columns, the projects grouped by theme and,
    within a theme, by sector (the projects of no sector first) in rows, each cell the
    projects of one party in one group."""
    parties = list(
        Organisation.objects.filter(
            agreement_parties__agreement=agreement,
            agreement_parties__status=PartyStatus.ACCEPTED,
        )
        .order_by("name")
        .distinct()
    )
    column = {party.pk: index for index, party in enumerate(parties)}
    groups = {}
    for project in projects:
        if project.organisation_id not in column:  # a former party
            continue
        theme = project.theme
        theme_label = theme.name if theme else _("No theme")
        key = (theme is None, theme.name if theme else "", project.sector_label)
        group = groups.setdefault(
            key,
            {
                "label": f"{theme_label} · {project.sector_label}"
                if project.sector
                else theme_label,
                "theme": theme,
                "cells": [[] for _party in parties],
                "count": 0,
            },
        )
        group["cells"][column[project.organisation_id]].append(project)
        group["count"] += 1
    rows = [groups[key] for key in sorted(groups)]
    for row in rows:
        row["columns"] = list(zip(parties, row["cells"], strict=True))
    return parties, rows


def programming_filter(request, agreement, year):
    """The filter of the projects of a programming, on the page's query string."""
    projects = (
        PlannedProject.objects.filter(agreement=agreement, year=year)
        .select_related("contact", "joint_action")
        # The contact is named: its password and last login are not read (the page is kept,
        # and a login changes no version: partnership.core.fragments.unshown_columns).
        .defer("contact__password", "contact__last_login")
        # A few parties and themes shared by hundreds of projects: each read once, not built
        # again for every project's row (two objects per project, a fifth of the page's time).
        .prefetch_related("organisation", "theme")
        .order_by("title", "pk")
    )
    themes = Theme.objects.filter(
        planned_projects__agreement=agreement, planned_projects__year=year
    )
    return PlannedProjectFilter(
        request.GET, queryset=projects, request=request, themes=themes.distinct().order_by("name")
    )


def programming_data(project_filter):
    """What the side-by-side page and its exports show: the filtered projects, with their
    labels, and their overlaps."""
    shown = list(project_filter.qs)
    overlaps = find_overlaps(shown)
    overlapping = {}
    for overlap in overlaps:
        for project, other in ((overlap.first, overlap.second), (overlap.second, overlap.first)):
            overlapping.setdefault(project.pk, []).append(other)
    # The labels and the period read once, not once per card (a page may hold hundreds).
    kinds = {value: str(capfirst(label)) for value, label in PlannedProject.Kind.choices}
    certainties = {value: str(capfirst(label)) for value, label in PlannedProject.Certainty.choices}
    sectors = {value: str(capfirst(label)) for value, label in Sector.choices}
    priorities = {value: str(capfirst(label)) for value, label in Priority.choices}
    dates = {None: "…"}  # each day formatted once: many projects share their dates

    def short_date(day):
        if day not in dates:
            dates[day] = date_format(day, "SHORT_DATE_FORMAT")
        return dates[day]

    for project in shown:
        project.sector_label = sectors.get(project.sector, project.sector)
        project.priority_label = priorities.get(project.priority, project.priority)
        project.overlaps_with = overlapping.get(project.pk, [])
        project.kind_label = kinds.get(project.kind, project.kind)
        project.certainty_label = certainties.get(project.certainty, project.certainty)
        project.period = (
            f"{short_date(project.planned_start)} – {short_date(project.planned_end)}"
            if project.planned_start or project.planned_end
            else ""
        )
    return shown, overlaps


# The tables the side-by-side page's projects and overlaps are drawn from (the check of
# partnership.core.fragments: it reads no other).
SIDE_BY_SIDE_TABLES = tables_of(
    PlannedProject,
    Organisation,
    Theme,
    AgreementParty,
    get_user_model(),  # the projects' contacts
    Action,  # the joint actions they became
    Programme,
    Agreement,
)


class ProgrammingView(TemplateView):
    """The parties' programmings of a year side by side, with their overlaps.

    Its projects and overlaps, the bulk of the page, are the same for everyone who may see it
    and tick projects or not: they are kept in the shared cache until a table they are drawn
    from changes (partnership.core.fragments)."""

    template_name = "partnership/programming.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        agreement = visible_agreement(self.request, kwargs["agreement_pk"])
        year = year_of(kwargs)
        project_filter = programming_filter(self.request, agreement, year)
        opened = opened_years(agreement)
        open_now = is_open(year, opened)
        can_coordinate = user.has_perm("partnership.coordinate_programming", agreement)
        programme = Programme.objects.filter(agreement=agreement, year=year).first()
        can_propose = can_coordinate and (
            programme is None or programme.status == Programme.Status.PREPARATION
        )
        # What the projects shown depend on: the filters' values the form accepts, never the
        # query string as typed (each made-up value would keep one more copy of the page).
        chosen = project_filter.chosen()

        def draw():
            return self.projects_and_overlaps(agreement, year, project_filter, chosen, can_propose)

        self.kept = fragments.drawn(
            {
                "side_by_side": fragments.Fragment(
                    key=(agreement.pk, year, chosen, can_propose),
                    tables=SIDE_BY_SIDE_TABLES,
                    draw=draw,
                )
            }
        )
        context.update(
            agreement=agreement,
            year=year,
            years=sorted({*programming_years(), year}),
            filter=project_filter,
            is_open=open_now,
            opens_on=opens_on(year),
            can_open=can_coordinate and not open_now,
            can_add=open_now and user.has_perm("partnership.add_plannedproject", agreement),
            can_propose=can_propose,
            programme=programme,
            **self.kept["side_by_side"],
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        return self.kept.told(super().render_to_response(context, **response_kwargs))

    def projects_and_overlaps(self, agreement, year, project_filter, chosen, can_propose):
        """The page's overlaps and projects, drawn with its partials."""
        shown, overlaps = programming_data(project_filter)
        _parties, rows = programming_rows(agreement, year, shown)
        unsettled = [overlap for overlap in overlaps if not overlap.settled]
        draw_cards(rows, can_propose)
        overlap_groups = overlaps_by_theme(unsettled[:MAX_OVERLAPS_SHOWN])
        draw_overlaps(
            overlap_groups,
            can_propose,
            reverse("programming_propose", args=[agreement.pk, year]),
        )
        context = {
            "rows": rows,
            "filtered": bool(chosen),
            "shown_count": len(shown),
            "overlap_groups": overlap_groups,
            "overlap_count": len(unsettled),
            "overlaps_truncated": len(unsettled) > MAX_OVERLAPS_SHOWN,
        }
        return {
            name: fragments.partial(f"partnership/programming.html#{name}", context)
            for name in ("overlaps", "projects")
        }


class ProgrammingOpen(View):
    """A coordinator opens the programming of a year before la rentrée (POST)."""

    def post(self, request, agreement_pk, year):
        agreement = visible_agreement(request, agreement_pk)
        year = year_of({"year": year})
        crud.check_permission(request.user, "partnership.coordinate_programming", agreement)
        programming_open(agreement=agreement, year=year, user=request.user)
        messages.success(
            request,
            _("The programming %(year)s is open: each party may enter its projects.")
            % {"year": year},
        )
        return HttpResponseRedirect(programming_url(agreement.pk, year))


class ProjectMixin:
    model = PlannedProject

    def base_queryset(self):
        return PlannedProject.objects.select_related(
            "agreement", "organisation", "theme", "contact", "joint_action__programme"
        )

    def get_success_url(self):
        return self.object.get_absolute_url()


class ProjectDetail(ProjectMixin, crud.StaffDetailView):
    pass


class ProjectCreate(ProjectMixin, crud.ParentMixin, crud.StaffCreateView):
    parent_model = Agreement
    parent_kwarg = "agreement_pk"
    parent_permission = "partnership.add_plannedproject"
    form_class = PlannedProjectForm
    success_message = gettext_lazy("The project “%(object)s” was added to the programming.")

    def dispatch(self, request, *args, **kwargs):
        self.year = year_of(kwargs)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        self.check_open()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.check_open()
        return super().post(request, *args, **kwargs)

    def check_open(self):
        if not is_open(self.year, opened_years(self.parent)):
            raise PermissionDenied(_("The programming of this year is not open yet."))

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = PlannedProject(agreement=self.parent, year=self.year)
        kwargs["organisation_id"] = (
            None
            if changes_any_programming(self.request.user)
            else enters_programming_for(self.request.user, self.parent)
        )
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["parent_url"] = programming_url(self.parent.pk, self.year)
        return context


class ProjectUpdate(ProjectMixin, crud.StaffUpdateView):
    form_class = PlannedProjectForm
    success_message = gettext_lazy("The project “%(object)s” was saved.")


class ProjectDelete(ProjectMixin, crud.StaffDeleteView):
    def get_success_url(self):
        return programming_url(self.object.agreement_id, self.object.year)


class ProjectCoordinate(ProjectMixin, crud.ScopedMixin, FormView):
    """Mark a project "coordinated without a joint action", with a note (a coordinator of
    a party, or who keeps the project)."""

    form_class = CoordinationForm
    template_name = "partnership/plannedproject_coordinate.html"

    def dispatch(self, request, *args, **kwargs):
        self.object = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        crud.check_permission(request.user, "partnership.coordinate_plannedproject", self.object)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"note": self.object.coordination_note}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context

    def form_valid(self, form):
        project = project_coordinate(
            project=self.object, user=self.request.user, note=form.cleaned_data["note"]
        )
        messages.success(
            self.request,
            _("The project is marked as coordinated without a joint action.")
            if project.coordinated
            else _("The project is no longer marked as coordinated."),
        )
        return HttpResponseRedirect(project.get_absolute_url())


class ProposeJointAction(ActionCreate):
    """From two projects or more, a coordinator proposes a joint action in the joint
    programme of their year (in preparation; created if the parties have not started it):
    the action's form comes prefilled with the projects merged, and saving it links each
    project to the action."""

    template_name = "partnership/programming_propose.html"
    success_message = gettext_lazy(
        "The joint action “%(object)s” was proposed: the projects become this action."
    )

    def dispatch(self, request, *args, **kwargs):
        self.agreement = visible_agreement(request, kwargs["agreement_pk"])
        self.year = year_of(kwargs)
        crud.check_permission(request.user, "partnership.coordinate_programming", self.agreement)
        data = request.POST if request.method == "POST" else request.GET
        ids = [pk for pk in data.getlist("projects") if pk.isdigit()]
        self.projects = list(
            PlannedProject.objects.visible_to(request.user)
            .filter(pk__in=ids)
            .select_related("organisation", "theme")
            .order_by("organisation__name", "pk")
        )
        back = programming_url(self.agreement.pk, self.year)
        try:
            check_proposal(self.projects, self.agreement, self.year)
            self.parent = Programme.objects.filter(
                agreement=self.agreement, year=self.year
            ).first() or Programme(agreement=self.agreement, year=self.year)
            if self.parent.status != Programme.Status.PREPARATION:
                proposal_programme(agreement=self.agreement, year=self.year, user=request.user)
        except TransitionError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(back)
        # ActionCreate's parent checks are ours: skip ParentMixin.dispatch.
        return crud.StaffCreateView.dispatch(self, request, *args, **kwargs)

    def get_initial(self):
        return merged_action_initial(self.projects)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            agreement=self.agreement,
            year=self.year,
            projects=self.projects,
            back_url=programming_url(self.agreement.pk, self.year),
        )
        return context

    def save_form(self, form):
        programme = proposal_programme(
            agreement=self.agreement, year=self.year, user=self.request.user
        )
        form.instance.programme = programme
        self.parent = programme
        return super().save_form(form)

    def after_save(self, form, formsets):
        super().after_save(form, formsets)
        link_projects(projects=self.projects, action=self.object, user=self.request.user)
