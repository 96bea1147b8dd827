"""Staff pages of the experimentations: list, detail, edit, phases, enrolled companies."""

from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When
from django.utils.translation import gettext_lazy as _

from experimentations import services
from experimentations.filters import ExperimentationFilter
from experimentations.forms import (
    EnrolledCompanyForm,
    EvaluationFormSet,
    ExperimentationForm,
    PartnerFormSet,
    StopForm,
    TerritoryFormSet,
)
from experimentations.models import EnrolledCompany, Experimentation, ExperimentationPartner
from partnership import crud
from partnership.models import Agreement, Document
from partnership.rules import visible

# The phases in their order, "stopped" last: sorting the list "by phase" follows the workflow.
PHASE_RANK = Case(
    *(When(status=phase, then=Value(rank)) for rank, phase in enumerate(Experimentation.ORDER)),
    default=Value(len(Experimentation.ORDER)),
    output_field=IntegerField(),
)


def _partners():
    return Prefetch(
        "partners",
        ExperimentationPartner.objects.select_related("organisation").order_by(
            "-is_lead", "organisation__name"
        ),
    )


def phase_steps(experimentation):
    """The ordered phases with, for each, whether it is done, current or still to come."""
    status = experimentation.status
    current = Experimentation.ORDER.index(status) if status in Experimentation.ORDER else None
    reached = current
    if current is None:
        # A stopped experimentation: the phases it went through are in its history.
        reached = _last_phase_reached(experimentation)
    steps = []
    for index, phase in enumerate(Experimentation.ORDER):
        if current is not None and index == current:
            state = "current"
        elif reached is not None and index <= reached:
            state = "done"
        else:
            state = "todo"
        steps.append({"value": phase.value, "label": phase.label, "state": state})
    return steps


def _last_phase_reached(experimentation):
    statuses = set(experimentation.history.values_list("status", flat=True).distinct())
    ranks = [i for i, phase in enumerate(Experimentation.ORDER) if phase in statuses]
    return max(ranks) if ranks else None


class ExperimentationMixin:
    model = Experimentation

    def base_queryset(self):
        return Experimentation.objects.select_related("agreement", "convention")


class ExperimentationList(ExperimentationMixin, crud.StaffListView):
    filterset_class = ExperimentationFilter

    def base_queryset(self):
        return (
            super()
            .base_queryset()
            .prefetch_related(_partners(), "territories")
            .annotate(company_count=Count("companies", distinct=True), phase_rank=PHASE_RANK)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        # An experimentation is created under an agreement: offer the ones the person may use.
        if context["can_add"]:
            context["agreements_for_new"] = [
                agreement
                for agreement in visible(Agreement.objects.all(), user).order_by("reference")
                if user.has_perm("experimentations.add_experimentation", agreement)
            ]
        return context


class ExperimentationDetail(ExperimentationMixin, crud.StaffDetailView):
    def base_queryset(self):
        return (
            super()
            .base_queryset()
            .select_related("evaluation__report")
            .prefetch_related(
                _partners(),
                "territories",
                Prefetch("companies", EnrolledCompany.objects.order_by("name")),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        experimentation = self.object
        user = self.request.user
        context.update(
            evaluation=getattr(experimentation, "evaluation", None),
            phase_steps=phase_steps(experimentation),
            can_add_company=user.has_perm("experimentations.add_enrolledcompany", experimentation),
            can_change_companies=user.has_perm(
                "experimentations.change_enrolledcompany", experimentation
            ),
        )
        return context


class ExperimentationFormMixin(ExperimentationMixin):
    form_class = ExperimentationForm
    formset_classes = {
        "partners": PartnerFormSet,
        "territories": TerritoryFormSet,
        "evaluation": EvaluationFormSet,
    }

    def agreement(self):
        return self.object.agreement

    def get_formset_kwargs(self, name):
        if name != "evaluation":
            return {}
        agreement = self.agreement()
        # The report is one of the documents of the agreement or of its conventions.
        documents = visible(
            Document.objects.filter(
                Q(agreement=agreement) | Q(convention__agreement=agreement)
            ).order_by("title"),
            self.request.user,
        )
        return {"form_kwargs": {"documents": documents}}


class ExperimentationCreate(ExperimentationFormMixin, crud.ParentMixin, crud.StaffCreateView):
    parent_model = Agreement
    parent_kwarg = "agreement_pk"
    parent_permission = "experimentations.add_experimentation"
    success_message = _("The experimentation “%(object)s” was created.")

    def agreement(self):
        return self.parent

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Experimentation(agreement=self.parent)
        return kwargs


class ExperimentationUpdate(ExperimentationFormMixin, crud.StaffUpdateView):
    success_message = _("The experimentation “%(object)s” was saved.")


class ExperimentationDelete(ExperimentationMixin, crud.StaffDeleteView):
    success_url_name = "experimentations:experimentation_list"


def _advance(name):
    def run(view, obj, data):
        return services.experimentation_advance(
            experimentation=obj, user=view.request.user, name=name
        )

    return run


class ExperimentationTransition(ExperimentationMixin, crud.TransitionView):
    forms = {"stop": StopForm}
    transitions = {
        **{name: _advance(name) for name in ("start_trial", "evaluate", "extend", "deploy")},
        "stop": lambda view, obj, data: services.experimentation_stop(
            experimentation=obj, user=view.request.user, reason=data["reason"]
        ),
    }


# Enrolled companies, added and edited one by one -------------------------------------


class CompanyMixin:
    model = EnrolledCompany

    def base_queryset(self):
        return EnrolledCompany.objects.select_related("experimentation__agreement")

    def experimentation(self):
        return self.object.experimentation

    def get_success_url(self):
        return f"{self.experimentation().get_absolute_url()}#companies"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["experimentation"] = self.experimentation()
        return context


class CompanyCreate(CompanyMixin, crud.ParentMixin, crud.StaffCreateView):
    parent_model = Experimentation
    parent_kwarg = "experimentation_pk"
    parent_permission = "experimentations.add_enrolledcompany"
    form_class = EnrolledCompanyForm
    success_message = _("The company “%(object)s” was enrolled.")

    def experimentation(self):
        return self.parent

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = EnrolledCompany(experimentation=self.parent)
        if self.parent.status in Experimentation.ORDER:
            kwargs.setdefault("initial", {})["joined_phase"] = self.parent.status
        return kwargs


class CompanyUpdate(CompanyMixin, crud.StaffUpdateView):
    form_class = EnrolledCompanyForm
    success_message = _("The company “%(object)s” was saved.")


class CompanyDelete(CompanyMixin, crud.StaffDeleteView):
    template_name = "experimentations/enrolledcompany_confirm_delete.html"
