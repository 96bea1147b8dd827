import django_filters
from django import forms
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnership.agreements.models import Agreement
from partnership.core.filters import FilterSet
from partnership.core.forms import DateInput
from partnership.meetings.models import Decision, Meeting


def _visible_agreements(request):
    if request is None:
        return Agreement.objects.none()
    return Agreement.objects.all().visible_to(request.user).order_by("reference")


class MeetingOrderingFilter(django_filters.OrderingFilter):
    """Sort by date or title, or put the coming meetings first (soonest first), then the
    past ones (latest first)."""

    UPCOMING = "upcoming"

    def build_choices(self, fields, labels):
        return [(self.UPCOMING, _("upcoming first")), *super().build_choices(fields, labels)]

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        if self.UPCOMING in value:
            now = timezone.now()
            return qs.annotate(
                is_past=Case(
                    When(starts_at__lt=now, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                ),
                upcoming_at=Case(When(starts_at__gte=now, then=F("starts_at"))),
            ).order_by("is_past", F("upcoming_at").asc(nulls_last=True), "-starts_at", "pk")
        ordering = [self.get_ordering_value(param) for param in value if param]
        return qs.order_by(*ordering, "pk")


class MeetingFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        starts_from, starts_until = cleaned.get("starts_from"), cleaned.get("starts_until")
        if starts_from and starts_until and starts_until < starts_from:
            self.add_error("starts_until", _("The end of the period comes before its start."))
        return cleaned


class MeetingFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    agreement = django_filters.ModelChoiceFilter(
        label=_("framework agreement"), queryset=_visible_agreements
    )
    kind = django_filters.ChoiceFilter(label=_("kind"), choices=Meeting.Kind.choices)
    status = django_filters.ChoiceFilter(label=_("status"), choices=Meeting.Status.choices)
    starts_from = django_filters.DateFilter(
        label=_("from"), field_name="starts_at", lookup_expr="date__gte", widget=DateInput
    )
    starts_until = django_filters.DateFilter(
        label=_("until"), field_name="starts_at", lookup_expr="date__lte", widget=DateInput
    )
    o = MeetingOrderingFilter(
        label=_("Sort by"),
        fields=(("starts_at", "date"), ("title", "title")),
        field_labels={"starts_at": _("date"), "title": _("title")},
    )

    class Meta:
        model = Meeting
        form = MeetingFilterForm
        fields = ["q", "agreement", "kind", "status", "starts_from", "starts_until"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(place__icontains=value)
            | Q(minutes__icontains=value)
            | Q(agreement__reference__icontains=value)
        )


class DecisionFilter(FilterSet):
    """The register of decisions: by agreement, text and the period of the meetings."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    agreement = django_filters.ModelChoiceFilter(
        label=_("framework agreement"),
        queryset=_visible_agreements,
        field_name="meeting__agreement",
    )
    kind = django_filters.ChoiceFilter(
        label=_("kind of meeting"), choices=Meeting.Kind.choices, field_name="meeting__kind"
    )
    starts_from = django_filters.DateFilter(
        label=_("from"), field_name="meeting__starts_at", lookup_expr="date__gte", widget=DateInput
    )
    starts_until = django_filters.DateFilter(
        label=_("until"), field_name="meeting__starts_at", lookup_expr="date__lte", widget=DateInput
    )
    o = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("meeting__starts_at", "date"),),
        field_labels={"meeting__starts_at": _("date")},
    )

    class Meta:
        model = Decision
        form = MeetingFilterForm
        fields = ["q", "agreement", "kind", "starts_from", "starts_until"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(text__icontains=value)
            | Q(agenda_item__title__icontains=value)
            | Q(meeting__title__icontains=value)
        )
