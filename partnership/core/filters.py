"""The base of every list's filters: the same empty choices on every page.

Each list's ``FilterSet`` inherits ``FilterSet`` below rather than django-filter's: the empty
choice of a select reads "All" ("Tous"), or ``ALL_FEMININE`` ("Toutes") where the filter
declares it because the French noun of its label is feminine ("région", "phase"); a sort
select's empty choice reads "Default order". Labels begin with a capital on every form
(``partnership.core.forms.BoundField``); on a phone, the filters fold behind a "Filtres"
button (``templates/includes/filter_form.html``).
"""

import django_filters
from django.utils.translation import pgettext_lazy
from django_filters.conf import settings as filter_settings

ALL = pgettext_lazy("filter choice", "All")
ALL_FEMININE = pgettext_lazy("filter choice, feminine noun", "All")
DEFAULT_ORDER = pgettext_lazy("sort choice", "Default order")


class FilterSet(django_filters.FilterSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # self.filters are this instance's copies: their fields are not built yet.
        for filter_ in self.filters.values():
            if not isinstance(filter_, django_filters.ChoiceFilter):  # model choices included
                continue
            if filter_.extra.get("empty_label", filter_settings.EMPTY_CHOICE_LABEL) == (
                filter_settings.EMPTY_CHOICE_LABEL
            ):
                ordering = isinstance(filter_, django_filters.OrderingFilter)
                filter_.extra["empty_label"] = DEFAULT_ORDER if ordering else ALL
