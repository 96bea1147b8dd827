"""Staff pages: annual joint work programmes, their joint actions (chantiers) and deliverables."""

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import DetailView, FormView
from django.views.generic.detail import SingleObjectMixin

from partnership.agreements.models import Agreement
from partnership.core import crud, fragments
from partnership.core.lifecycle import TransitionError
from partnership.discussion.events import followed_by
from partnership.programmes.filters import ActionFilter, ProgrammeActionFilter, ProgrammeFilter
from partnership.programmes.forms import (
    ActionContactFormSet,
    ActionForm,
    ActionResourceFormSet,
    DeliverableForm,
    ProgrammeApproveForm,
    ProgrammeCloseForm,
    ProgrammeForm,
)
from partnership.programmes.models import (
    Action,
    ActionContact,
    ActionResource,
    Deliverable,
    Programme,
    ProgrammeApproval,
    action_edit_models,
)
from partnership.programmes.services import (
    action_transition,
    carried_as,
    next_year_opens_on,
    programme_approval_organisations,
    programme_approve,
    programme_carry_over_preview,
    programme_close,
    programme_parties,
    programme_prepare_next_year,
    programme_propose,
    programme_withdraw,
)
from partnership.rules import (
    agreements_permitting,
    approves_programme_for,
    contribution_organisation_ids,
    profile_of,
)

# Programmes ---------------------------------------------------------------------------


class ProgrammeMixin:
    model = Programme

    def base_queryset(self):
        return Programme.objects.select_related("agreement", "adopted_at")


def _status_counts(programmes_actions):
    counts = dict(programmes_actions.order_by().values_list("status").annotate(count=Count("pk")))
    return [
        {"status": value, "label": label, "count": counts.get(value, 0)}
        for value, label in Action.Status.choices
    ]


def group_actions(actions, by):
    """The actions in groups by kind (in the order of the kinds) or by theme (by name)."""
    groups = {}
    if by == "theme":
        for action in actions:
            key = (action.theme is None, action.theme.name if action.theme else "")
            label = action.theme.name if action.theme else _("No theme")
            groups.setdefault(key, {"label": label, "actions": []})["actions"].append(action)
    else:
        order = {value: index for index, value in enumerate(Action.Kind.values)}
        for action in actions:
            key = (order.get(action.kind, len(order)), action.kind)
            label = action.get_kind_display()
            groups.setdefault(key, {"label": label, "actions": []})["actions"].append(action)
    return [groups[key] for key in sorted(groups)]


def approvals_by_party(programme):
    """Each party of the agreement with its approval of the programme (or None), by name."""
    approvals = {
        approval.organisation_id: approval
        for approval in ProgrammeApproval.objects.filter(programme=programme).select_related(
            "approved_by"
        )
    }
    return [
        {"organisation": party, "approval": approvals.get(party.pk)}
        for party in programme_parties(programme)
    ]


def next_year_state(programme, user):
    """Whether "prepare next year" is offered, and if not yet, from when (la rentrée)."""
    opens_on = next_year_opens_on(programme)
    may_change = user.has_perm("partnership.change_programme", programme)
    status_allows = programme.status in (Programme.Status.ADOPTED, Programme.Status.CLOSED)
    date_allows = timezone.localdate() >= opens_on
    return {
        "may_change": may_change,
        "status_allows": status_allows,
        "date_allows": date_allows,
        "opens_on": opens_on,
        "available": may_change and status_allows and date_allows,
    }


class ProgrammeList(ProgrammeMixin, crud.StaffListView):
    filterset_class = ProgrammeFilter

    def base_queryset(self):
        return super().base_queryset().with_action_counts()

    def get_queryset(self):
        return super().get_queryset().order_by("-year", "agreement__reference", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        # A programme is created under its agreement: offer the agreements the person may add to.
        addable = []
        if context["can_add"]:  # "partnership.add_programme" under some agreement
            addable = agreements_permitting(
                user,
                "partnership.add_programme",
                Agreement.objects.not_ended().visible_to(user).order_by("reference"),
            )
        context.update(can_add=bool(addable), addable_agreements=addable)
        return context


class ProgrammeDetail(ProgrammeMixin, crud.StaffDetailView):
    """The programme page: its actions grouped by kind or theme, filterable, with counts."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        programme = self.object
        user = self.request.user
        group_by = "theme" if self.request.GET.get("group") == "theme" else "kind"
        actions = (
            programme.actions.select_related("lead_organisation", "theme")
            .prefetch_related("partners")
            .order_by("title", "pk")
        )
        action_filter = ProgrammeActionFilter(
            self.request.GET, queryset=actions, request=self.request, programme=programme
        )
        filtered = list(action_filter.qs)
        status_counts = _status_counts(programme.actions.all())
        context.update(
            filter=action_filter,
            group_by=group_by,
            groups=group_actions(filtered, group_by),
            shown_count=len(filtered),
            status_counts=status_counts,
            action_total=sum(item["count"] for item in status_counts),
            filtered=any(action_filter.data.get(name) for name in action_filter.filters),
            can_add_action=user.has_perm("partnership.add_action", programme),
            next_year=next_year_state(programme, user),
            # The lifecycle's "adopt" is no link: the last party's approval adopts. It is shown
            # disabled, with the parties it waits for, while approvals are missing.
            transitions=[
                (transition, waiting_for)
                for transition, waiting_for in Programme.lifecycle.offered(programme)
                if transition.name != "adopt" or waiting_for
            ]
            if user.has_perm("partnership.change_programme", programme)
            else [],
        )
        if programme.status != Programme.Status.PREPARATION:
            context["approvals"] = approvals_by_party(programme)
            if programme.status == Programme.Status.PROPOSED and user.has_perm(
                "partnership.approve_programme", programme
            ):
                given = [
                    item["organisation"]
                    for item in context["approvals"]
                    if item["approval"] is not None
                    and approves_programme_for(user, item["organisation"].pk)
                ]
                context["can_approve"] = any(
                    item["approval"] is None
                    and approves_programme_for(user, item["organisation"].pk)
                    for item in context["approvals"]
                )
                if given and not context["can_approve"]:
                    # A party that has approved waits for the others: say so beside the button.
                    context["approved_already"] = _("Already approved for %(parties)s.") % {
                        "parties": get_text_list([str(party) for party in given], _("and"))
                    }
        return context


class ProgrammeCreate(ProgrammeMixin, crud.ParentMixin, crud.StaffCreateView):
    parent_model = Agreement
    parent_kwarg = "agreement_pk"
    parent_permission = "partnership.add_programme"
    form_class = ProgrammeForm
    success_message = gettext_lazy("The programme “%(object)s” was created.")

    def get_initial(self):
        latest = self.parent.programmes.order_by("-year").values_list("year", flat=True).first()
        return {"year": latest + 1 if latest else timezone.localdate().year}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Programme(agreement=self.parent)
        return kwargs


class ProgrammeUpdate(ProgrammeMixin, crud.StaffUpdateView):
    form_class = ProgrammeForm
    success_message = gettext_lazy("The programme “%(object)s” was saved.")


class ProgrammeDelete(ProgrammeMixin, crud.StaffDeleteView):
    success_url_name = "programme_list"
    protected_message = gettext_lazy(
        "This programme cannot be deleted: it has actions, or meetings refer to it. "
        "Delete or move its actions first."
    )


class ProgrammeTransition(ProgrammeMixin, crud.TransitionView):
    # No "adopt" here: a programme is adopted by the approval of its last party.
    forms = {"close": ProgrammeCloseForm}
    transitions = {
        "propose": lambda view, obj, data: programme_propose(programme=obj, user=view.request.user),
        "withdraw": lambda view, obj, data: programme_withdraw(
            programme=obj, user=view.request.user
        ),
        "close": lambda view, obj, data: programme_close(
            programme=obj, user=view.request.user, review=data["review"]
        ),
    }


class ProgrammeApprove(ProgrammeMixin, crud.ScopedMixin, SingleObjectMixin, FormView):
    """A party approves the proposed programme: confirm (GET), then record it (POST).

    The page shows where each party stands. The approval that completes the set adopts the
    programme, so its form asks for the held meeting where that happened.
    """

    permission_action = "approve"
    template_name = "partnership/programme_approve.html"

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def setup_approval(self):
        programme = self.object
        self.parties = approvals_by_party(programme)
        self.organisations = programme_approval_organisations(
            programme=programme, user=self.request.user
        )
        waiting = [item for item in self.parties if item["approval"] is None]
        self.completes = len(waiting) == 1
        self.allowed = programme.status == Programme.Status.PROPOSED and bool(self.organisations)

    def get_form(self, form_class=None):
        if not hasattr(self, "parties"):
            self.setup_approval()
        return ProgrammeApproveForm(
            **self.get_form_kwargs(),
            programme=self.object,
            organisations=self.organisations,
            completes=self.completes,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            programme=self.object,
            parties=self.parties,
            organisations=self.organisations,
            completes=self.completes,
            allowed=self.allowed,
        )
        return context

    def post(self, request, *args, **kwargs):
        self.setup_approval()
        if not self.allowed:
            messages.error(request, self.refusal())
            return HttpResponseRedirect(self.object.get_absolute_url())
        return super().post(request, *args, **kwargs)

    def refusal(self):
        if self.object.status != Programme.Status.PROPOSED:
            return _("Only a proposed programme is approved: this one is “%(status)s”.") % {
                "status": self.object.get_status_display()
            }
        return _("There is no approval left for you to give on this programme.")

    def form_valid(self, form):
        try:
            approval = programme_approve(
                programme=self.object,
                user=self.request.user,
                organisation=form.approving_organisation(),
                meeting=form.cleaned_data.get("meeting"),
                adopted_on=form.cleaned_data.get("adopted_on"),
            )
        except TransitionError as error:
            form.add_error(None, error.messages)
            return self.form_invalid(form)
        if approval.programme.status == Programme.Status.ADOPTED:
            message = _(
                "Approved for %(organisation)s. Every party has approved: the programme is adopted."
            )
        else:
            message = _("Approved for %(organisation)s. The programme awaits the other parties.")
        messages.success(self.request, message % {"organisation": approval.organisation})
        return HttpResponseRedirect(self.object.get_absolute_url())


def carry_over_rows(programme):
    """The preview of next year: each unfinished action and what it will be carried as."""
    actions = programme_carry_over_preview(programme=programme).annotate(
        open_deliverables=Count("deliverables", filter=Q(deliverables__delivered_on__isnull=True))
    )
    rows = []
    for action in actions:
        becomes = carried_as(action, programme.year + 1)
        becomes["status"] = Action.Status(becomes["status"]).label
        rows.append({"action": action, **becomes})
    return rows


class ProgrammePrepareNextYear(ProgrammeMixin, crud.ScopedMixin, DetailView):
    """Preview the actions carried over to next year (GET), then create next year (POST)."""

    permission_action = "change"
    template_name = "partnership/programme_next_year.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        programme = self.object
        next_programme = Programme.objects.filter(
            agreement_id=programme.agreement_id, year=programme.year + 1
        ).first()
        state = next_year_state(programme, self.request.user)
        context.update(
            allowed=state["status_allows"] and state["date_allows"],
            status_allows=state["status_allows"],
            opens_on=state["opens_on"],
            carried_over=carry_over_rows(programme),
            next_programme=next_programme,
            next_year=programme.year + 1,
            next_is_open=(
                next_programme is None or next_programme.status == Programme.Status.PREPARATION
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        programme = self.get_object()
        # The preview's boxes: only the ticked actions are carried over. A post without the
        # preview's form (an older page, a script) carries every unfinished action.
        chosen = request.POST.getlist("carry") if "choosing" in request.POST else None
        if chosen is not None and not all(pk.isdigit() for pk in chosen):
            messages.error(request, _("The chosen actions could not be read: nothing was done."))
            return HttpResponseRedirect(request.path)
        try:
            next_programme, carried = programme_prepare_next_year(
                programme=programme, user=request.user, chosen=chosen
            )
        except TransitionError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(programme.get_absolute_url())
        messages.success(
            request,
            ngettext(
                "The programme %(year)s is being prepared: %(count)s action was carried over.",
                "The programme %(year)s is being prepared: %(count)s actions were carried over.",
                len(carried),
            )
            % {"year": next_programme.year, "count": len(carried)},
        )
        return HttpResponseRedirect(next_programme.get_absolute_url())


# Joint actions ------------------------------------------------------------------------


class ActionMixin:
    model = Action

    def base_queryset(self):
        return Action.objects.select_related("programme__agreement", "lead_organisation", "theme")


class ActionList(ActionMixin, crud.StaffListView):
    filterset_class = ActionFilter

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = False  # an action is created from its programme's page
        return context


class ActionDetail(ActionMixin, crud.StaffDetailView):
    def base_queryset(self):
        # Whether the person follows the action, read with it: the page keeps to its budget.
        following = followed_by(self.request.user, Action, self.kwargs["pk"])
        return (
            Action.objects.annotate(followed_by_viewer=following)
            .select_related(
                "programme__agreement",
                "lead_organisation",
                "theme",
                "convention",
                "continues__programme",
                "continuation__programme",
            )
            .prefetch_related(
                "partners",
                Prefetch(
                    "contacts",
                    ActionContact.objects.select_related(
                        "organisation", "user", "contact"
                    ).order_by("organisation__name", "pk"),
                ),
                Prefetch(
                    "resources",
                    ActionResource.objects.select_related("organisation").order_by(
                        "organisation__name"
                    ),
                ),
                Prefetch(
                    "deliverables",
                    Deliverable.objects.prefetch_related("documents").order_by(
                        "due_on", "title", "pk"
                    ),
                ),
                Prefetch(
                    "reviews",
                    Action.reviews.rel.related_model.objects.select_related(
                        "meeting", "recorded_by"
                    ).order_by("-meeting__starts_at", "-pk"),
                ),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        action = self.object
        user = self.request.user
        resources = list(action.resources.all())
        # A stand-in deliverable of this action: the deliverable permissions depend on the action.
        sample = Deliverable(action=action)
        try:
            continuation = action.continuation
        except Action.continuation.RelatedObjectDoesNotExist:
            continuation = None
        context.update(
            resources=resources,
            total_person_days=sum(resource.person_days for resource in resources),
            total_budget=sum(resource.budget for resource in resources),
            continuation=continuation,
            can_add_deliverable=user.has_perm("partnership.add_deliverable", action),
            changeable_deliverable_ids={
                deliverable.pk
                for deliverable in action.deliverables.all()
                if user.has_perm("partnership.change_deliverable", deliverable)
            },
            can_delete_deliverable=user.has_perm("partnership.delete_deliverable", sample),
        )
        return context


class ActionFormMixin:
    form_class = ActionForm
    formset_classes = {"resources": ActionResourceFormSet, "contacts": ActionContactFormSet}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, programme=self.get_programme())
        return kwargs

    def get_formset_kwargs(self, name):
        kwargs = super().get_formset_kwargs(name)
        user = self.request.user
        action = self.object or Action(programme=self.get_programme())
        profile = profile_of(user)
        kwargs["contribution_of"] = contribution_organisation_ids(user, action)
        kwargs["own_organisation"] = profile.organisation_id if profile else None
        if name == "contacts":
            kwargs["form_kwargs"] = {"agreement": self.get_programme().agreement_id}
        return kwargs


class ActionCreate(ActionMixin, ActionFormMixin, crud.ParentMixin, crud.StaffCreateView):
    parent_model = Programme
    parent_kwarg = "programme_pk"
    parent_permission = "partnership.add_action"
    success_message = gettext_lazy("The action “%(object)s” was created.")

    def get_programme(self):
        return self.parent

    def get_initial(self):
        initial = super().get_initial()
        profile = profile_of(self.request.user)
        if profile is not None:
            initial["lead_organisation"] = profile.organisation_id
        return initial

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Action(programme=self.parent)
        return kwargs


class ActionUpdate(ActionMixin, ActionFormMixin, crud.StaffUpdateView):
    success_message = gettext_lazy("The action “%(object)s” was saved.")

    def base_queryset(self):
        # The partners read once, for the contributor's rule (is it their organisation's
        # work?) and for the form's initial choice alike.
        return super().base_queryset().prefetch_related("partners")

    def get_programme(self):
        return self.object.programme

    def form_valid(self, form):
        # Every row the edit writes to these tables is the action's, of the action's agreement
        # (the form keeps its programme): what is kept for people who do not see that
        # agreement (their dashboard's sections) stays kept.
        agreement = [self.object.programme.agreement_id]
        with fragments.written_for(action_edit_models(), "agreement", agreement):
            return super().form_valid(form)


class ActionDelete(ActionMixin, crud.StaffDeleteView):
    protected_message = gettext_lazy(
        "This action cannot be deleted: meetings refer to it (agenda items or working group "
        "meetings)."
    )

    def get_success_url(self):
        return self.object.programme.get_absolute_url()


def _action_transition(name):
    return lambda view, obj, data: action_transition(action=obj, user=view.request.user, name=name)


class ActionTransition(ActionMixin, crud.TransitionView):
    permission_action = "lead"  # the status is part of what the action is
    transitions = {
        name: _action_transition(name)
        for name in ("start", "complete", "postpone", "replan", "cancel")
    }


# Deliverables -------------------------------------------------------------------------


class DeliverableMixin:
    model = Deliverable

    def base_queryset(self):
        return Deliverable.objects.select_related("action__programme__agreement")

    def get_success_url(self):
        return self.object.get_absolute_url()


class DeliverableFormMixin:
    form_class = DeliverableForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}


class DeliverableCreate(
    DeliverableMixin, DeliverableFormMixin, crud.ParentMixin, crud.StaffCreateView
):
    parent_model = Action
    parent_kwarg = "action_pk"
    parent_permission = "partnership.add_deliverable"
    success_message = gettext_lazy("The deliverable “%(object)s” was added.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Deliverable(action=self.parent)
        return kwargs


class DeliverableUpdate(DeliverableMixin, DeliverableFormMixin, crud.StaffUpdateView):
    success_message = gettext_lazy("The deliverable “%(object)s” was saved.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["parent"] = self.object.action
        return context


class DeliverableDelete(DeliverableMixin, crud.StaffDeleteView):
    pass
