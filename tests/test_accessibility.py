"""WCAG 2.1 AA on every page type, and valid HTML, checked by machines on the demonstration data.

Each persona (a coordinator, a contributor, a reader, the administrator, on the staff pages;
an anonymous visitor on the public pages) opens one browser session, logs in, and walks the
pages it can reach from the dashboard by following links: the first address of each page
type (URL name) it meets. Each page is checked at 1280 and at 390 CSS px by axe-core with
the ``wcag2a``, ``wcag2aa``, ``wcag21a`` and ``wcag21aa`` rules, then in the states that
matter: an empty list, a form sent with errors, the concurrency conflict page. The HTML each
page was served with goes, in one batch per persona, through the Nu HTML checker.

axe-core and the checker come from npm (package.json; ``make install-test`` installs them,
with Debian's Java). axe is added to each page by the browser (an init script of the test's
browser context): it is never served by the application.
"""

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from partnership.demo import data as demo
from partnership.models import Action
from tests.browser import assert_no_horizontal_overflow, chromium, log_in  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = [1280, 390]

# Links the walk does not follow: they change something with a GET, answer with a file, leave
# the staff pages (the Django admin is not ours to fix), or end the session.
NOT_PAGES = {
    "logout",
    "set_language",
    "document_download",
    "document_version_download",
    "meeting_minutes_pdf",
    "meeting_calendar",
    "calendar_feed",
    "programme_report_csv",
    "programme_report_xlsx",
    "action_export_csv",
    "action_export_xlsx",
    "programming_export",
}
# Pages no link leads to for these accounts, visited on purpose.
ANONYMOUS_PAGES = [
    "/comptes/login/",
    "/comptes/password_reset/",
    "/comptes/password_reset/done/",
    "/accessibilite/",
]


def _tools():
    if not AXE.exists() or not VNU.exists():
        pytest.fail("axe-core and vnu-jar are missing: `make install-test` installs them.")
    if not shutil.which("java"):
        pytest.fail("Java is missing: `make install-test` installs Debian's.")


@pytest.fixture
def demo_data(db):
    _tools()
    call_command("load_demo", "--quiet")


class Audit:
    """One persona's browser session: pages checked by axe, their HTML kept for the checker."""

    def __init__(self, chromium, live_server, width=1280):  # noqa: F811
        self.base = live_server.url
        self.context = chromium.new_context(
            locale="fr-FR", viewport={"width": width, "height": 900}
        )
        # axe in every document of this context, added by the browser, not by the page.
        self.context.add_init_script(path=str(AXE))
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.violations = {}  # "url @ width [state]" -> the violations' summaries
        self.html = {}  # the same key -> the HTML as served

    def close(self):
        self.context.close()

    def width(self, width):
        self.page.set_viewport_size({"width": width, "height": 900})

    def visit(self, url, state="", keep_html=True):
        response = self.page.goto(urljoin(self.base, url))
        assert response.ok, f"{url}: {response.status}"
        self.check(response if keep_html else None, state)
        return response

    def check(self, response, state=""):
        """axe on the page as it is now; the HTML of ``response`` kept for the checker."""
        url = urlsplit(self.page.url)
        key = (
            f"{url.path}{'?' + url.query if url.query else ''} @ {self.page.viewport_size['width']}"
        )
        key += f" [{state}]" if state else ""
        self.page.wait_for_load_state("load")
        found = self.page.evaluate(
            """async (tags) => {
                const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                        resultTypes: ['violations']});
                return result.violations.map(v => `${v.id} (${v.impact}): ${v.help}\\n` +
                    v.nodes.slice(0, 5).map(n => `    ${n.target.join(' ')}: ` +
                        (n.failureSummary || '').replace(/\\s+/g, ' ')).join('\\n'));
            }""",
            AXE_TAGS,
        )
        if found:
            self.violations[key] = found
        if response is not None:
            self.html[key] = response.text()

    def links(self):
        """The same-site addresses the page links to, without their query or fragment."""
        hrefs = self.page.eval_on_selector_all(
            "a[href]", "links => links.map(a => new URL(a.getAttribute('href'), a.baseURI).href)"
        )
        for href in hrefs:
            parts = urlsplit(href)
            if f"{parts.scheme}://{parts.netloc}" == self.base and parts.path:
                yield parts.path

    def walk(self, start="/"):
        """Every page type reachable by links from ``start``: {URL name: first address}."""
        seen = {}
        queue = [start]
        while queue:
            path = queue.pop(0)
            try:
                match = resolve(path)
            except Resolver404:
                continue
            name = match.view_name
            if name in seen or name in NOT_PAGES or name.startswith("admin:"):
                continue
            seen[name] = path
            self.visit(path)
            queue.extend(link for link in self.links() if link not in queue)
        return seen

    def submit_empty(self, path):
        """The form of ``path`` sent with its text fields emptied: the form with errors."""
        self.page.goto(urljoin(self.base, path))
        form = self.page.locator("main form[method='post']").last
        form.evaluate(
            """form => form.querySelectorAll(
                'input[type=text], input[type=email], input[type=url], input[type=date], '
                + 'input[type=number], textarea').forEach(field => { field.value = ''; })"""
        )
        with self.page.expect_navigation() as navigation:
            form.locator("[type=submit]").last.click()
        self.check(navigation.value, "errors")

    def assert_clean(self):
        assert_clean(self.violations, self.html)


def assert_clean(violations, html):
    axe_report = "\n".join(f"{key}\n  " + "\n  ".join(v) for key, v in violations.items())
    errors = nu_html_check(html)
    nu_report = "\n".join(f"{key}: {message}" for key, message in errors)
    assert not violations and not errors, (
        f"axe found violations:\n{axe_report}\n\nthe Nu HTML checker found errors:\n{nu_report}"
    )


def nu_html_check(documents):
    """The Nu HTML checker's errors for {name: HTML}, in one run of the JVM."""
    if not documents:
        return []
    with _tmp_dir() as folder:
        files = {}
        for index, (name, html) in enumerate(documents.items()):
            path = folder / f"page-{index}.html"
            path.write_text(html, encoding="utf-8")
            files[str(path)] = name
        result = subprocess.run(
            ["java", "-jar", str(VNU), "--format", "json", "--exit-zero-always", *files],
            capture_output=True,
            text=True,
            check=True,
        )
    messages = json.loads(result.stderr)["messages"]
    return [
        (
            files.get(m.get("url", "").removeprefix("file:"), m.get("url")),
            f"line {m.get('lastLine')}: {m['message']}",
        )
        for m in messages
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]


class _tmp_dir:
    def __enter__(self):
        import tempfile

        self._dir = tempfile.TemporaryDirectory(prefix="vnu-")
        return Path(self._dir.name)

    def __exit__(self, *exc):
        self._dir.cleanup()


def _walk_as(chromium, live_server, username, widths=WIDTHS):  # noqa: F811
    """A persona's session: logged in, every page type it reaches checked at ``widths``."""
    audit = Audit(chromium, live_server, widths[0])
    log_in(audit.page, live_server, username, demo.DEMO_PASSWORD)
    audit.page.wait_for_url(f"{live_server.url}/")
    pages = audit.walk()
    for width in widths[1:]:
        audit.width(width)
        for path in pages.values():
            audit.visit(path, keep_html=False)  # the same HTML, another layout
    audit.width(widths[0])
    return audit, pages


def _empty_lists_and_forms_with_errors(audit, pages):
    # A list with nothing in it: a search that finds nothing.
    for name in ("agreement_list", "action_list", "meeting_list", "organisation_list", "search"):
        if name in pages:
            audit.visit(f"{pages[name]}?q=zzzzzzzzzz", "empty")
    # Every form sent back with errors.
    for name, path in pages.items():
        if name.endswith(("_create", "_update")) and not name.startswith("document_"):
            audit.submit_empty(path)


def _conflict(audit, live_server):
    """Two people edit one action: the second save gets the conflict page."""
    action = Action.objects.order_by("pk").first()
    audit.page.goto(f"{live_server.url}/actions/{action.pk}/modifier/")
    form = audit.page.locator("main form[method='post']")
    form.locator("[name=title]").fill("Titre changé dans le navigateur")
    action.title = "Titre changé par une autre personne"  # someone else saves meanwhile
    action.save()
    with audit.page.expect_navigation() as navigation:
        form.locator("[type=submit]").last.click()
    assert "autre personne" in audit.page.content()
    audit.check(navigation.value, "conflict")
    audit.width(390)
    audit.check(None, "conflict")
    audit.width(1280)


def test_every_page_of_the_staff_pages_passes_axe_and_the_html_checker(
    chromium,  # noqa: F811
    live_server,
    demo_data,
):
    """Each persona's pages at both widths (a contributor's and a reader's pages differ from a
    coordinator's by their buttons: at 1280 px only); the states on the coordinator's."""
    violations, html = {}, {}
    for username, widths in [
        ("anact.coordinateur", WIDTHS),
        ("admin", WIDTHS),
        ("anact.contributeur", [1280]),
        ("anact.lecteur", [1280]),
    ]:
        audit, pages = _walk_as(chromium, live_server, username, widths)
        try:
            assert {"home", "agreement_detail", "action_detail", "meeting_detail"} <= set(pages)
            if username == "anact.coordinateur":
                _empty_lists_and_forms_with_errors(audit, pages)
                _conflict(audit, live_server)
            if username == "admin":
                assert "deleted_records" in pages
        finally:
            audit.close()
        violations.update({f"{username} {key}": v for key, v in audit.violations.items()})
        html.update({f"{username} {key}": v for key, v in audit.html.items()})
    assert_clean(violations, html)


def test_the_public_pages_pass_axe_and_the_html_checker(chromium, live_server, demo_data):  # noqa: F811
    audit = Audit(chromium, live_server)
    try:
        for width in WIDTHS:
            audit.width(width)
            for path in ANONYMOUS_PAGES:
                audit.visit(path)
        # Reflow (WCAG 1.4.10): at 320 CSS px, nothing scrolls sideways.
        audit.width(320)
        for path in ANONYMOUS_PAGES:
            audit.page.goto(f"{live_server.url}{path}")
            assert_no_horizontal_overflow(audit.page)
        audit.width(1280)
        # The login form with its error.
        audit.page.goto(f"{live_server.url}/comptes/login/")
        audit.page.get_by_label("Nom d’utilisateur").fill("personne")
        audit.page.get_by_label("Mot de passe").fill("pas le bon")
        with audit.page.expect_navigation() as navigation:
            audit.page.get_by_role("button", name="Connexion").click()
        audit.check(navigation.value, "errors")
        audit.assert_clean()
    finally:
        audit.close()
