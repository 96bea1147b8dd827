"""Staff pages: the global search from the navigation bar."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from partnership.overview.search import (
    MAX_QUERY_LENGTH,
    RESULTS_PER_KIND,
    clean_query,
    list_url,
    search,
)


@require_GET
def search_page(request):
    query = clean_query(request.GET.get("q"))
    groups = search(query, request.user)
    for group in groups:
        group.list_url = list_url(group.key, query) if group.truncated else None
    return render(
        request,
        "partnership/search.html",
        {
            "query": query,
            "groups": groups,
            "searched": bool(groups),
            "total": sum(group.count for group in groups),
            "per_kind": RESULTS_PER_KIND,
            "max_length": MAX_QUERY_LENGTH,
        },
    )
