from django import forms
from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from partnership.agreements.filters import AgreementFilter
from partnership.agreements.forms import AgreementForm, AgreementPartyFormSet
from partnership.agreements.models import Agreement, AgreementParty
from partnership.agreements.services import (
    agreement_expire,
    agreement_negotiate,
    agreement_party_answer,
    agreement_sign,
    agreement_terminate,
)
from partnership.core import crud
from partnership.core.forms import ReasonForm, TransitionDateForm
from partnership.core.lifecycle import TransitionError
from partnership.rules import invitations_answered_by


class AgreementMixin:
    model = Agreement

    def base_queryset(self):
        return Agreement.objects.prefetch_related(
            Prefetch("parties", AgreementParty.objects.select_related("organisation"))
        )


class AgreementList(AgreementMixin, crud.StaffListView):
    filterset_class = AgreementFilter

    def base_queryset(self):
        return (
            super()
            .base_queryset()
            .annotate(
                programme_count=Count("programmes", distinct=True),
                convention_count=Count("conventions", distinct=True),
            )
        )


class AgreementDetail(AgreementMixin, crud.StaffDetailView):
    def base_queryset(self):
        # Whether a coordinator opened next year's programming of the parties early, read
        # with the agreement (the programming card asks it: partnership.programming).
        next_year = timezone.localdate().year + 1
        return (
            super()
            .base_queryset()
            .annotate(
                next_programming_opened=Count(
                    "programming_openings", filter=Q(programming_openings__year=next_year)
                )
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.object
        user = self.request.user
        context.update(
            programmes=agreement.programmes.with_action_counts().order_by("-year"),
            conventions=agreement.conventions.select_related("theme")
            .visible_to(user)
            .order_by("annex_number"),
            meetings=agreement.meetings.order_by("-starts_at")[:10],
            experimentations=agreement.experimentations.order_by("title"),
            documents=agreement.documents.select_related("uploaded_by"),
        )
        return context


class AgreementPartiesMixin:
    form_class = AgreementForm
    formset_classes = {"parties": AgreementPartyFormSet}

    def get_formset_kwargs(self, name):
        return {**super().get_formset_kwargs(name), "user": self.request.user}


class AgreementCreate(AgreementMixin, AgreementPartiesMixin, crud.StaffCreateView):
    success_message = gettext_lazy("The agreement “%(object)s” was created.")

    def after_save(self, form, formsets):
        """The person must be able to change the agreement they created, with its parties as
        saved: a coordinator's organisation (or its network head) must be one of them."""
        if not self.request.user.has_perm("partnership.change_agreement", self.object):
            raise forms.ValidationError(
                _("Your organisation must be one of the parties to the agreement.")
            )


class AgreementUpdate(AgreementMixin, AgreementPartiesMixin, crud.StaffUpdateView):
    success_message = gettext_lazy("The agreement “%(object)s” was saved.")


class AgreementDelete(AgreementMixin, crud.StaffDeleteView):
    success_url_name = "agreement_list"
    protected_message = gettext_lazy(
        "This agreement cannot be deleted: programmes, conventions or meetings depend on it."
    )


class AgreementTransition(AgreementMixin, crud.TransitionView):
    forms = {"sign": TransitionDateForm, "terminate": ReasonForm}
    transitions = {
        "negotiate": lambda view, obj, data: agreement_negotiate(
            agreement=obj, user=view.request.user
        ),
        "sign": lambda view, obj, data: agreement_sign(
            agreement=obj, user=view.request.user, signed_on=data["signed_on"]
        ),
        "expire": lambda view, obj, data: agreement_expire(agreement=obj, user=view.request.user),
        "terminate": lambda view, obj, data: agreement_terminate(
            agreement=obj, user=view.request.user, reason=data["reason"]
        ),
    }


# Invitations to be a party --------------------------------------------------------------


@require_POST
def invitation_answer(request, pk, answer):
    """Accept or decline an invitation (POST from the dashboard). An invitation the person
    does not answer does not exist for them (404)."""
    party = get_object_or_404(
        invitations_answered_by(AgreementParty.objects.select_related("agreement"), request.user),
        pk=pk,
    )
    crud.check_permission(request.user, "partnership.answer_agreementparty", party)
    accept = answer == "accept"
    try:
        agreement_party_answer(party=party, user=request.user, accept=accept)
    except TransitionError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(reverse("home"))
    if accept:
        messages.success(
            request,
            _("%(organisation)s is now a party to “%(agreement)s”.")
            % {"organisation": party.organisation, "agreement": party.agreement.title},
        )
        return HttpResponseRedirect(party.agreement.get_absolute_url())
    messages.success(
        request,
        _("The invitation to “%(agreement)s” was declined.") % {"agreement": party.agreement.title},
    )
    return HttpResponseRedirect(reverse("home"))
