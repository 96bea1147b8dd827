"""PDF documents made from our own HTML with WeasyPrint.

WeasyPrint needs the Pango library of the system (Debian: libpango-1.0-0, libpangoft2-1.0-0);
without it, ``available()`` is false and the pages offer printing from the browser only.
A document never fetches anything: its stylesheet is read from our static files and given
to WeasyPrint directly, and every URL it meets (an image in the minutes, say) is refused,
so that no generated document can reach the network or the server's files.
"""

import functools

from django.contrib.staticfiles import finders


@functools.cache
def available() -> bool:
    """Whether PDF documents can be made on this server (WeasyPrint and Pango load)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def _stylesheet(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(path)
    with open(found, encoding="utf-8") as handle:
        return handle.read()


def render_pdf(html: str, *, stylesheets=("css/print.css",), base_url: str = "") -> bytes:
    import weasyprint
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"Generated documents fetch nothing: {url}")

    fetcher = NoFetching()
    return weasyprint.HTML(string=html, base_url=base_url or None, url_fetcher=fetcher).write_pdf(
        stylesheets=[
            weasyprint.CSS(string=_stylesheet(path), url_fetcher=fetcher) for path in stylesheets
        ]
    )
