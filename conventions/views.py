"""Staff pages of the ad hoc conventions annexed to a framework agreement, and their amendments."""

from decimal import Decimal

from django.contrib import messages
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from conventions import services
from conventions.filters import ConventionFilter
from conventions.forms import (
    AmendmentForm,
    CommitmentFormSet,
    ConventionForm,
    ConventionPartyFormSet,
    organisation_choices,
)
from conventions.models import Amendment, Commitment, Convention, ConventionParty
from partnership.agreements.models import Agreement, AgreementParty
from partnership.core import crud
from partnership.core.forms import ReasonForm, TransitionDateForm
from partnership.core.lifecycle import lock
from partnership.discussion.views import ReadsFollowState
from partnership.programmes.models import Action


def parties_queryset():
    """The parties with their organisation, each marked when it is no party to the agreement."""
    return ConventionParty.objects.select_related("organisation").annotate(
        third_party=~Exists(
            AgreementParty.objects.filter(
                agreement=OuterRef("convention__agreement"),
                organisation=OuterRef("organisation"),
            )
        )
    )


class ConventionMixin:
    model = Convention

    def base_queryset(self):
        return Convention.objects.select_related("agreement", "theme")


class ConventionList(ConventionMixin, crud.StaffListView):
    filterset_class = ConventionFilter

    def base_queryset(self):
        return super().base_queryset().prefetch_related(Prefetch("parties", parties_queryset()))


class ConventionDetail(ReadsFollowState, ConventionMixin, crud.StaffDetailView):
    def base_queryset(self):
        return (
            super()
            .base_queryset()
            .prefetch_related(
                Prefetch("parties", parties_queryset()),
                Prefetch("commitments", Commitment.objects.select_related("organisation")),
                Prefetch("amendments", Amendment.objects.prefetch_related("documents")),
                "documents",
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        convention = self.object
        user = self.request.user
        commitments = list(convention.commitments.all())
        by_party = {}
        for commitment in commitments:
            group = by_party.setdefault(
                commitment.organisation_id,
                {
                    "organisation": commitment.organisation,
                    "commitments": [],
                    "person_days": Decimal(0),
                    "budget": Decimal(0),
                },
            )
            group["commitments"].append(commitment)
            group["person_days"] += commitment.person_days
            group["budget"] += commitment.budget
        context.update(
            date_warnings=convention.date_warnings(),
            has_third_party=any(party.third_party for party in convention.parties.all()),
            commitments_by_party=list(by_party.values()),
            total_person_days=sum((c.person_days for c in commitments), Decimal(0)),
            total_budget=sum((c.budget for c in commitments), Decimal(0)),
            actions=Action.objects.filter(convention=convention)
            .select_related("programme", "lead_organisation")
            .visible_to(user)
            .order_by("-programme__year", "title"),
            can_add_amendment=convention.status in Convention.RUNNING
            and user.has_perm("conventions.add_amendment", convention),
            deletable=convention.status not in Convention.SIGNED_STATUSES,
        )
        return context


class ConventionFormsMixin:
    """The convention edited with its parties and commitments, on one page."""

    form_class = ConventionForm
    formset_classes = {"parties": ConventionPartyFormSet, "commitments": CommitmentFormSet}

    def get_agreement(self):
        return self.object.agreement

    def get_formset_kwargs(self, name):
        if not hasattr(self, "_organisation_choices"):
            self._organisation_choices = organisation_choices(self.get_agreement())
        return {"form_kwargs": {"organisation_choices": self._organisation_choices}}

    def get_formsets(self, instance):
        formsets = super().get_formsets(instance)
        formsets["commitments"].parties_formset = formsets["parties"]
        return formsets

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["agreement"] = self.get_agreement()
        context["formsets_have_errors"] = any(
            formset.is_bound and not formset.is_valid() for formset in context["formsets"].values()
        )
        return context


class ConventionCreate(
    ConventionMixin, ConventionFormsMixin, crud.ParentMixin, crud.StaffCreateView
):
    """A new annex of the agreement: the annex number is the service's to give."""

    parent_model = Agreement
    parent_kwarg = "agreement_pk"
    parent_permission = "conventions.add_convention"
    success_message = gettext_lazy("The convention “%(object)s” was created.")

    def get_agreement(self):
        return self.parent

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Convention(agreement=self.parent)
        return kwargs

    def get_formset_kwargs(self, name):
        kwargs = super().get_formset_kwargs(name)
        if name == "parties":
            # Normally the agreement's parties: their rows come pre-filled.
            kwargs["initial"] = [
                {"organisation": organisation_id}
                for organisation_id in self.parent.parties.values_list("organisation_id", flat=True)
            ]
        return kwargs

    def get_formsets(self, instance):
        formsets = super().get_formsets(instance)
        parties = formsets["parties"]
        parties.extra = len(parties.initial_extra or []) + 1
        return formsets

    def save_form(self, form):
        fields = {name: form.cleaned_data[name] for name in form._meta.fields}
        return services.convention_create(agreement=self.parent, user=self.request.user, **fields)


class ConventionUpdate(ConventionMixin, ConventionFormsMixin, crud.StaffUpdateView):
    success_message = gettext_lazy("The convention “%(object)s” was saved.")


class ConventionDelete(ConventionMixin, crud.StaffDeleteView):
    """A signed convention is a legal record: it is terminated, never deleted."""

    success_url_name = "conventions:convention_list"
    protected_message = gettext_lazy(
        "This convention cannot be deleted: meetings or experimentations refer to it."
    )

    def refuse(self):
        messages.error(
            self.request,
            _("A signed convention is a legal record: it cannot be deleted, only terminated."),
        )
        return HttpResponseRedirect(self.object.get_absolute_url())

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.status in Convention.SIGNED_STATUSES:
            return self.refuse()
        return self.render_to_response(self.get_context_data(object=self.object))

    def form_valid(self, form):
        with transaction.atomic():
            if lock(self.object).status in Convention.SIGNED_STATUSES:
                return self.refuse()
            return super().form_valid(form)


class ConventionTransition(ConventionMixin, crud.TransitionView):
    forms = {"sign": TransitionDateForm, "terminate": ReasonForm}
    transitions = {
        "negotiate": lambda view, obj, data: services.convention_negotiate(
            convention=obj, user=view.request.user
        ),
        "sign": lambda view, obj, data: services.convention_sign(
            convention=obj, user=view.request.user, signed_on=data["signed_on"]
        ),
        "enter_into_force": lambda view, obj, data: services.convention_enter_into_force(
            convention=obj, user=view.request.user
        ),
        "end": lambda view, obj, data: services.convention_end(
            convention=obj, user=view.request.user
        ),
        "terminate": lambda view, obj, data: services.convention_terminate(
            convention=obj, user=view.request.user, reason=data["reason"]
        ),
    }


@require_GET
def convention_create_start(request):
    """From the list's "new convention" form to the creation page under the chosen agreement."""
    agreement_pk = request.GET.get("accord", "")
    if not agreement_pk.isdigit():
        return redirect("conventions:convention_list")
    agreement = get_object_or_404(Agreement.objects.all().visible_to(request.user), pk=agreement_pk)
    crud.check_permission(request.user, "conventions.add_convention", agreement)
    return redirect("conventions:convention_create", agreement_pk=agreement.pk)


# Amendments -------------------------------------------------------------------------------


class AmendmentMixin:
    model = Amendment

    def base_queryset(self):
        return Amendment.objects.select_related("convention__agreement")


class AmendmentCreate(AmendmentMixin, crud.ParentMixin, crud.StaffCreateView):
    """A numbered amendment (avenant) to a signed convention, numbered by the service."""

    parent_model = Convention
    parent_kwarg = "convention_pk"
    parent_permission = "conventions.add_amendment"
    success_message = gettext_lazy("“%(object)s” was added.")
    form_class = AmendmentForm

    def get(self, request, *args, **kwargs):
        if self.parent.status not in Convention.RUNNING:
            messages.error(
                request,
                _("Only a signed convention in force can be amended (it is “%(status)s”).")
                % {"status": self.parent.get_status_display()},
            )
            return HttpResponseRedirect(self.parent.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Amendment(convention=self.parent)
        return kwargs

    def save_form(self, form):
        return services.amendment_create(
            convention=self.parent,
            user=self.request.user,
            signed_on=form.cleaned_data["signed_on"],
            summary=form.cleaned_data["summary"],
        )


class AmendmentUpdate(AmendmentMixin, crud.StaffUpdateView):
    form_class = AmendmentForm
    success_message = gettext_lazy("“%(object)s” was saved.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["parent"] = self.object.convention
        return context


class AmendmentDelete(AmendmentMixin, crud.StaffDeleteView):
    def get_success_url(self):
        return self.object.get_absolute_url()
