"""Staff pages: review meetings (rendez-vous de suivi) and steering committees.

A meeting is created under its agreement and edited with its participants and agenda;
its decisions and follow-up tasks have their own page. At the meeting, each action gets
a review (status, progress, comment) that updates the action. Once its minutes are
approved, or once it is cancelled, a meeting is read-only: its edit pages answer 403 with
a page that says why (a coordinator may reopen approved minutes, with a reason). Its
follow-up tasks are still ticked as done by the owner's organisation.
"""

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView, TemplateView, View
from django.views.generic.detail import SingleObjectMixin

from partnership.agreements.models import Agreement
from partnership.core import crud, pdf
from partnership.core.forms import ReasonForm
from partnership.core.lifecycle import TransitionError
from partnership.discussion.events import notify
from partnership.discussion.models import Event
from partnership.discussion.views import ReadsFollowState
from partnership.meetings import calendar
from partnership.meetings.calendar import PARIS
from partnership.meetings.filters import DecisionFilter, MeetingFilter
from partnership.meetings.forms import (
    ActionReviewForm,
    AgendaItemAddForm,
    AgendaItemFormSet,
    AttendanceForm,
    DecisionFormSet,
    FollowUpTaskFormSet,
    MeetingChoices,
    MeetingForm,
    MeetingOutcomesForm,
    MinutesSectionsForm,
    ParticipantFormSet,
    TaskProgressForm,
)
from partnership.meetings.models import AgendaItem, Decision, FollowUpTask, Meeting, Participant
from partnership.meetings.services import (
    action_review_record,
    agenda_item_move,
    agenda_item_remove,
    followup_task_set_done,
    meeting_agenda_candidates,
    meeting_approve_minutes,
    meeting_cancel,
    meeting_hold,
    meeting_prepare_agenda,
    meeting_reopen,
)
from partnership.rules import agreements_permitting

REVIEW_PERMISSION = "partnership.review_action"


class MeetingMixin:
    model = Meeting

    def base_queryset(self):
        return Meeting.objects.select_related("agreement", "working_group")


class MeetingReadOnly(Exception):
    def __init__(self, meeting):
        super().__init__(meeting)
        self.meeting = meeting


class WritableMeetingMixin:
    """Pages that change a meeting: refused (403, with the reason) once it is read-only."""

    read_only_statuses = (Meeting.Status.MINUTES_APPROVED, Meeting.Status.CANCELLED)

    def refuse_if_read_only(self, meeting):
        if meeting.status in self.read_only_statuses:
            raise MeetingReadOnly(meeting)

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        self.refuse_if_read_only(obj)
        return obj

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except MeetingReadOnly as refusal:
            return TemplateResponse(
                request,
                "partnership/meeting_read_only.html",
                {"object": refusal.meeting},
                status=403,
            )


class MeetingChoicesMixin:
    """The shared lists of the selects of the page, fetched once per request."""

    def choices_agreement(self):
        return self.object.agreement

    @cached_property
    def choices(self):
        return MeetingChoices(self.choices_agreement(), getattr(self, "object", None))

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["choices"] = self.choices
        return kwargs

    def get_formset_kwargs(self, name):
        return {"choices": self.choices}


# Lists and pages ------------------------------------------------------------------------


class MeetingList(MeetingMixin, crud.StaffListView):
    filterset_class = MeetingFilter

    def base_queryset(self):
        return (
            super()
            .base_queryset()
            .annotate(
                participant_count=Count("participants", distinct=True),
                open_task_count=Count(
                    "follow_ups", filter=Q(follow_ups__done=False), distinct=True
                ),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.filterset.form
        agreement = form.cleaned_data.get("agreement") if hasattr(form, "cleaned_data") else None
        if agreement and self.request.user.has_perm("partnership.add_meeting", agreement):
            context["new_meeting_url"] = reverse("meeting_create", args=[agreement.pk])
        elif context["can_add"]:
            context["new_meeting_url"] = reverse("meeting_create_choose")
        return context


class MeetingDetail(ReadsFollowState, MeetingMixin, crud.StaffDetailView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        meeting = self.object
        user = self.request.user
        agenda = list(
            meeting.agenda_items.select_related("action", "convention", "programme", "follow_up")
        )
        reviews = list(
            meeting.action_reviews.select_related("action", "recorded_by").order_by(
                "action__title", "pk"
            )
        )
        reviews_by_action = {review.action_id: review for review in reviews}
        tasks = list(
            meeting.follow_ups.select_related("owner__profile__organisation", "owner_contact")
        )
        for task in tasks:
            task.can_change = user.has_perm("partnership.change_followuptask", task)
        can_change = user.has_perm("partnership.change_meeting", meeting)
        can_review = user.has_perm(REVIEW_PERMISSION, meeting) and not meeting.is_read_only
        for item in agenda:
            item.review = reviews_by_action.get(item.action_id) if item.action_id else None
        if can_review:
            choices = MeetingChoices(meeting.agreement, meeting)
            for item in agenda:
                if item.action_id:
                    item.review_form = ActionReviewForm(
                        initial=review_initial(item.action, item.review),
                        choices=choices,
                        auto_id=f"id_item{item.pk}_%s",
                    )
            context["review_form"] = ActionReviewForm(choices=choices, auto_id="id_review_%s")
        context.update(
            participants=meeting.participants.select_related(
                "user__profile__organisation", "contact__organisation"
            ),
            agenda=agenda,
            reviews=reviews,
            decisions=meeting.decisions.select_related("agenda_item"),
            tasks=tasks,
            documents=meeting.documents.select_related("uploaded_by"),
            can_edit=can_change and not meeting.is_read_only,
            can_delete=user.has_perm("partnership.delete_meeting", meeting)
            and meeting.status != Meeting.Status.MINUTES_APPROVED,
            can_review=can_review,
        )
        return context


def review_initial(action, review=None):
    """A review form starts from this meeting's review of the action, or from the action."""
    source = review or action
    return {
        "action": action.pk,
        "status": source.status,
        "progress": source.progress,
        "comment": review.comment if review else "",
    }


class MeetingCreateChoose(TemplateView):
    """“New meeting” from the list: first choose the agreement it belongs to, among those not
    ended that the person may add a meeting to."""

    template_name = "partnership/meeting_create_choose.html"

    def dispatch(self, request, *args, **kwargs):
        crud.check_permission(request.user, "partnership.add_meeting")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["agreements"] = agreements_permitting(
            user,
            "partnership.add_meeting",
            Agreement.objects.not_ended().visible_to(user).order_by("reference"),
        )
        return context


class MeetingCreate(MeetingChoicesMixin, MeetingMixin, crud.ParentMixin, crud.StaffCreateView):
    parent_model = Agreement
    parent_kwarg = "agreement_pk"
    parent_permission = "partnership.add_meeting"
    form_class = MeetingForm
    formset_classes = {"participants": ParticipantFormSet, "agenda": AgendaItemFormSet}
    success_message = gettext_lazy("The meeting “%(object)s” was created.")

    def choices_agreement(self):
        return self.parent

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Meeting(agreement=self.parent)
        return kwargs


class MeetingUpdate(MeetingChoicesMixin, WritableMeetingMixin, MeetingMixin, crud.StaffUpdateView):
    form_class = MeetingForm
    formset_classes = {"participants": ParticipantFormSet, "agenda": AgendaItemFormSet}
    success_message = gettext_lazy("The meeting “%(object)s” was saved.")


class MeetingOutcomes(
    MeetingChoicesMixin, WritableMeetingMixin, MeetingMixin, crud.StaffUpdateView
):
    """The decisions and follow-up tasks of a meeting, edited together."""

    form_class = MeetingOutcomesForm
    formset_classes = {"decisions": DecisionFormSet, "follow_ups": FollowUpTaskFormSet}
    template_name = "partnership/meeting_outcomes_form.html"
    success_message = gettext_lazy("The decisions and follow-up tasks of “%(object)s” were saved.")

    def save_form(self, form):
        return form.instance  # the meeting itself is unchanged

    def after_save(self, form, formsets):
        super().after_save(form, formsets)
        # A task given to someone (new, or to a new owner) tells them.
        for row in formsets["follow_ups"].forms:
            task = row.instance
            deleted = row in formsets["follow_ups"].deleted_forms
            if task.pk and task.owner_id and "owner" in row.changed_data and not deleted:
                notify(
                    Event.TASK_ASSIGNED,
                    task,
                    self.request.user,
                    [task.owner],
                    to_followers=False,
                )

    def get_success_url(self):
        return self.object.get_absolute_url() + "#follow-ups"


class MeetingDelete(WritableMeetingMixin, MeetingMixin, crud.StaffDeleteView):
    """A cancelled meeting may be deleted; one with approved minutes may not."""

    read_only_statuses = (Meeting.Status.MINUTES_APPROVED,)
    protected_message = gettext_lazy(
        "This meeting cannot be deleted: a programme was adopted at it or other records "
        "refer to it."
    )

    def get_success_url(self):
        return self.object.agreement.get_absolute_url()


class MeetingTransition(MeetingMixin, crud.TransitionView):
    forms = {"hold": AttendanceForm, "reopen": ReasonForm}
    transitions = {
        "hold": lambda view, obj, data: meeting_hold(
            meeting=obj, user=view.request.user, attendance=view.attendance
        ),
        "cancel": lambda view, obj, data: meeting_cancel(meeting=obj, user=view.request.user),
        "approve_minutes": lambda view, obj, data: meeting_approve_minutes(
            meeting=obj, user=view.request.user
        ),
        "reopen": lambda view, obj, data: meeting_reopen(
            meeting=obj, user=view.request.user, reason=data["reason"]
        ),
    }

    def form_valid(self, form):
        # Marking the meeting held records who attended, in the same transaction.
        self.attendance = form.attendance() if isinstance(form, AttendanceForm) else None
        return super().form_valid(form)


class MeetingReview(MeetingChoicesMixin, WritableMeetingMixin, MeetingMixin, FormView):
    """Record an action's review at the meeting: it updates the action too."""

    form_class = ActionReviewForm
    template_name = "partnership/meeting_review_form.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_object(self, queryset=None):
        meeting = get_object_or_404(
            self.base_queryset().visible_to(self.request.user), pk=self.kwargs["pk"]
        )
        crud.check_permission(self.request.user, REVIEW_PERMISSION, meeting)
        self.refuse_if_read_only(meeting)
        return meeting

    def get_initial(self):
        action = self.choices.actions.get(self.request.GET.get("action"))
        if action is None:
            return {}
        review = self.object.action_reviews.filter(action=action).first()
        return review_initial(action, review)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            action_review_record(
                meeting=self.object,
                action=data["action"],
                user=self.request.user,
                status=data["status"],
                progress=data["progress"],
                comment=data["comment"],
            )
        except TransitionError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The review of “%(action)s” was recorded.") % {"action": data["action"]},
        )
        return HttpResponseRedirect(self.object.get_absolute_url() + "#reviews")


# Preparing and arranging the agenda -----------------------------------------------------


class MeetingPrepareAgenda(
    WritableMeetingMixin, MeetingMixin, crud.ScopedMixin, SingleObjectMixin, View
):
    """GET: what “prepare the agenda” will add (the programme under review, the ongoing
    actions by lead organisation, the open follow-ups of the previous meeting); POST: add it."""

    permission_action = "change"
    template_name = "partnership/meetings/prepare_agenda.html"

    def get(self, request, *args, **kwargs):
        self.object = meeting = self.get_object()
        return TemplateResponse(
            request,
            self.template_name,
            {
                "object": meeting,
                "candidates": meeting_agenda_candidates(meeting),
                "allowed": meeting.status == Meeting.Status.PLANNED,
            },
        )

    def post(self, request, *args, **kwargs):
        meeting = self.get_object()
        try:
            created = meeting_prepare_agenda(meeting=meeting, user=request.user)
        except TransitionError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if created:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d item was put on the agenda.",
                        "%(count)d items were put on the agenda.",
                        len(created),
                    )
                    % {"count": len(created)},
                )
            else:
                messages.info(request, _("The agenda already holds everything to review."))
        return HttpResponseRedirect(meeting.get_absolute_url() + "#agenda")


class AgendaItemMixin:
    """An agenda item, changed by whoever may change its meeting, while it is not read-only."""

    model = AgendaItem

    def base_queryset(self):
        return AgendaItem.objects.select_related("meeting__agreement")


class AgendaItemWriteView(
    WritableMeetingMixin, AgendaItemMixin, crud.ScopedMixin, SingleObjectMixin, View
):
    http_method_names = ["post"]

    def get_object(self, queryset=None):
        item = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        crud.check_permission(self.request.user, "partnership.change_meeting", item.meeting)
        self.refuse_if_read_only(item.meeting)
        return item

    def post(self, request, *args, **kwargs):
        item = self.get_object()
        try:
            self.write(item)
        except TransitionError as error:
            messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(item.meeting.get_absolute_url() + "#agenda")


class AgendaItemUp(AgendaItemWriteView):
    def write(self, item):
        agenda_item_move(item=item, user=self.request.user, offset=-1)


class AgendaItemDown(AgendaItemWriteView):
    def write(self, item):
        agenda_item_move(item=item, user=self.request.user, offset=1)


class AgendaItemRemove(AgendaItemWriteView):
    def write(self, item):
        agenda_item_remove(item=item, user=self.request.user)
        messages.success(
            self.request, _("“%(item)s” was taken off the agenda.") % {"item": item.title}
        )


class AgendaItemCreate(
    MeetingChoicesMixin, WritableMeetingMixin, crud.ParentMixin, crud.StaffCreateView
):
    """Add one item at the end of the agenda: free, or about an action, a convention or a
    programme of the meeting's agreement."""

    model = AgendaItem
    parent_model = Meeting
    parent_kwarg = "pk"
    parent_permission = "partnership.change_meeting"
    form_class = AgendaItemAddForm
    template_name = "includes/record_form.html"
    success_message = gettext_lazy("“%(object)s” was added to the agenda.")

    def get(self, request, *args, **kwargs):
        self.refuse_if_read_only(self.parent)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.refuse_if_read_only(self.parent)
        return super().post(request, *args, **kwargs)

    def choices_agreement(self):
        return self.parent.agreement

    @cached_property
    def choices(self):
        return MeetingChoices(self.parent.agreement, self.parent)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = AgendaItem(meeting=self.parent)
        return kwargs

    def save_form(self, form):
        last = self.parent.agenda_items.order_by("-position").values_list("position", flat=True)
        form.instance.position = (last.first() or 0) + 1
        return super().save_form(form)

    def get_success_url(self):
        return self.parent.get_absolute_url() + "#agenda"


# The register of decisions --------------------------------------------------------------


class DecisionList(crud.StaffListView):
    """Every decision of the meetings the person sees, searchable across meetings."""

    model = Decision
    filterset_class = DecisionFilter
    template_name = "partnership/meetings/decision_list.html"

    def base_queryset(self):
        return Decision.objects.select_related("meeting__agreement", "agenda_item")

    def get_queryset(self):
        return crud.ScopedMixin.get_queryset(self).order_by(
            "-meeting__starts_at", "meeting_id", "pk"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = False
        return context


# The printable minutes ------------------------------------------------------------------


def minutes_context(meeting, sections):
    """What the printed minutes show, fetched only for the chosen sections."""
    context = {"object": meeting, "sections": sections}
    if "participants" in sections:
        context["participants"] = list(
            meeting.participants.select_related(
                "user__profile__organisation", "contact__organisation"
            )
        )
    if "agenda" in sections:
        context["agenda"] = list(
            meeting.agenda_items.select_related("convention", "programme", "follow_up")
        )
    if "reviews" in sections:
        context["reviews"] = list(
            meeting.action_reviews.select_related("action__lead_organisation").order_by(
                "action__lead_organisation__name", "action__title", "pk"
            )
        )
    if "decisions" in sections:
        context["decisions"] = list(meeting.decisions.select_related("agenda_item"))
    if "follow_ups" in sections:
        context["tasks"] = list(
            meeting.follow_ups.select_related("owner__profile__organisation", "owner_contact")
        )
    return context


class MeetingMinutesPrint(MeetingMixin, crud.StaffDetailView):
    """The minutes as a document to print: the person chooses the sections."""

    template_name = "partnership/meetings/minutes_print.html"

    def base_queryset(self):
        return super().base_queryset().select_related("minutes_approved_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = MinutesSectionsForm(self.request.GET or None)
        context.update(minutes_context(self.object, form.chosen_sections()))
        context["sections_form"] = form
        context["pdf_available"] = pdf.available()
        return context


class MeetingMinutesPdf(MeetingMinutesPrint):
    """The same document as a PDF file (WeasyPrint); without it, back to the print page."""

    template_name = "partnership/meetings/minutes_pdf.html"

    def render_to_response(self, context, **response_kwargs):
        meeting = self.object
        query = self.request.GET.urlencode()
        if not pdf.available():
            messages.error(
                self.request,
                _("PDF files cannot be made on this server: print the page from your browser."),
            )
            return HttpResponseRedirect(
                reverse("meeting_minutes_print", args=[meeting.pk]) + (f"?{query}" if query else "")
            )
        html = render_to_string(self.template_name, context, request=self.request)
        response = HttpResponse(pdf.render_pdf(html), content_type="application/pdf")
        day = timezone.localtime(meeting.starts_at, PARIS).date()
        name = f"compte-rendu-{day:%Y-%m-%d}-{slugify(meeting.title)[:60]}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


# iCalendar -----------------------------------------------------------------------------


def calendar_queryset(queryset):
    """Meetings with what their calendar entry shows, in a fixed number of queries."""
    return queryset.select_related("agreement").prefetch_related(
        Prefetch("participants", Participant.objects.select_related("user", "contact")),
        "agenda_items",
    )


class MeetingCalendar(MeetingMixin, crud.ScopedMixin, SingleObjectMixin, View):
    """The meeting as an iCalendar file, to add it to one's calendar."""

    def base_queryset(self):
        return calendar_queryset(Meeting.objects.all())

    def get(self, request, *args, **kwargs):
        meeting = self.get_object()
        response = HttpResponse(
            calendar.calendar_of([meeting], request=request),
            content_type="text/calendar; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="rendez-vous-{meeting.pk}.ics"'
        return response


# Follow-up tasks: their owner's organisation ticks them as done -------------------------


class FollowUpTaskMixin:
    model = FollowUpTask

    def base_queryset(self):
        return FollowUpTask.objects.select_related("meeting__agreement", "owner__profile")


class FollowUpTaskUpdate(FollowUpTaskMixin, crud.StaffUpdateView):
    form_class = TaskProgressForm
    template_name = "partnership/meeting_task_form.html"
    success_message = gettext_lazy("The follow-up task “%(object)s” was saved.")

    def get_success_url(self):
        return self.object.meeting.get_absolute_url() + "#follow-ups"


class FollowUpTaskDone(FollowUpTaskMixin, crud.ScopedMixin, SingleObjectMixin, View):
    """POST done=1 ticks the task as done today, done=0 opens it again."""

    http_method_names = ["post"]
    permission_action = "change"

    def post(self, request, *args, **kwargs):
        task = self.get_object()
        done = request.POST.get("done", "1") != "0"
        followup_task_set_done(task=task, user=request.user, done=done)
        if done:
            message = _("The task “%(task)s” is done.")
        else:
            message = _("The task “%(task)s” is open again.")
        messages.success(request, message % {"task": task})
        return HttpResponseRedirect(task.meeting.get_absolute_url() + "#follow-ups")
