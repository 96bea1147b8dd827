"""The catalogues are complete: a French reader never meets an English sentence, an English
reader never a French one.

The source strings are English (an English reader reads them as they are, with English
plurals); the French catalogue translates every one of them, with its plural forms, and
uses French typography (a non-breaking space before : ; ? ! and inside « »), which the
English strings never do.
"""

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# What ``makemessages`` reads: the code and the templates (not the tests, the demonstration's
# data are French on purpose).
SOURCES = ("partnership", "conventions", "experimentations", "templates")
NBSP = "\u00a0"
NNBSP = "\u202f"

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("msgfmt", "msgattrib", "xgettext", "msgmerge")),
    reason="GNU gettext is missing: `make test` installs it.",
)


def entries(path):
    """(msgctxt, msgid, msgid_plural, [msgstr...], flags) of each entry but the header."""
    found = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields, current = {}, None
        for line in lines:
            if line.startswith("#"):
                continue
            keyword = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "', line)
            if keyword:
                current = keyword.group(1)
                fields[current] = ""
                line = line[len(current) + 1 :]
            if current:
                fields[current] += (
                    line.strip()[1:-1]
                    .encode()
                    .decode("unicode_escape")
                    .encode("latin-1")
                    .decode("utf-8")
                )
        if fields.get("msgid"):
            strs = [value for key, value in sorted(fields.items()) if key.startswith("msgstr")]
            found.append(
                (fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"), strs, flags)
            )
    return found


def test_the_french_catalogue_compiles_and_the_compiled_one_is_up_to_date(tmp_path):
    compiled = tmp_path / "django.mo"

    subprocess.run(["msgfmt", "--check", "-o", compiled, CATALOGUE], check=True)

    assert compiled.read_bytes() == CATALOGUE.with_suffix(".mo").read_bytes(), (
        "django.mo is older than django.po: run msgfmt"
    )


def test_no_french_entry_is_fuzzy_or_empty():
    found = entries(CATALOGUE)
    assert len(found) > 1000

    fuzzy = [msgid for _ctx, msgid, _plural, _strs, flags in found if "fuzzy" in flags]
    empty = [msgid for _ctx, msgid, _plural, strs, _flags in found if not all(strs)]
    assert not fuzzy
    assert not empty


def test_every_plural_has_its_french_forms():
    plurals = [entry for entry in entries(CATALOGUE) if entry[2]]

    assert plurals
    for _ctx, msgid, _plural, strs, _flags in plurals:
        assert len(strs) == 2 and all(strs), msgid


def test_every_string_of_the_source_is_in_the_french_catalogue(tmp_path, settings, monkeypatch):
    """The strings marked in the code and the templates, extracted as ``makemessages``
    does, into a copy of the catalogue: none is new, none untranslated.

    ``makemessages`` writes into the catalogue next to the files it reads: it reads them
    here through links from a directory of its own, so the real catalogue is left alone.
    """
    base = Path(settings.BASE_DIR)
    for name in SOURCES:
        (tmp_path / name).symlink_to(base / name)
    copy = tmp_path / "catalogue" / "fr" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    shutil.copy(CATALOGUE, copy)
    settings.LOCALE_PATHS = [tmp_path / "catalogue"]
    monkeypatch.chdir(tmp_path)
    before = CATALOGUE.read_bytes()

    call_command(
        "makemessages",
        locale=["fr"],
        symlinks=True,
        ignore_patterns=["*/migrations/*", "catalogue/*"],
        no_obsolete=True,
        verbosity=0,
    )

    assert CATALOGUE.read_bytes() == before
    # Nothing the catalogue translates has gone out of the extraction's sight either (a string
    # no longer in the source, or one it cannot read): the next makemessages would drop it.
    keys = {entry[:3] for entry in entries(CATALOGUE)}
    dropped = keys - {entry[:3] for entry in entries(copy)}
    assert not dropped, sorted(dropped, key=str)
    untranslated = subprocess.run(
        ["msgattrib", "--untranslated", "--no-obsolete", copy],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-obsolete", copy],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "msgid" not in untranslated, untranslated[:3000]
    assert "msgid" not in fuzzy, fuzzy[:3000]


def test_french_typography_only_in_french():
    """A non-breaking space before : ; ? ! and inside « » in French; in the English source,
    no non-breaking space and no space before a colon."""
    for _ctx, msgid, plural, strs, _flags in entries(CATALOGUE):
        for english in filter(None, (msgid, plural)):
            assert NBSP not in english and NNBSP not in english, english
            assert not re.search(r" :(\s|$)", english), english
        for french in strs:
            # "%(x)s :" or "word :": a space before the sign is a non-breaking one.
            assert not re.search(r" [:;?!](\s|$|<)", french), french
            assert not re.search(r"« | »", french), french


TRANSLATING = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


def test_no_string_is_translated_inside_an_f_string():
    """xgettext does not read inside an f-string's braces: a string translated there is
    missing from the extraction, and the next makemessages drops its French translation."""
    base = Path(settings.BASE_DIR)
    hidden = []
    for name in SOURCES:
        for path in sorted((base / name).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.JoinedStr):
                    continue
                for inner in ast.walk(node):
                    function = getattr(inner, "func", None)
                    called = getattr(function, "id", None) or getattr(function, "attr", None)
                    if isinstance(inner, ast.Call) and called in TRANSLATING:
                        hidden.append(f"{path.relative_to(base)}:{inner.lineno}")
    assert not hidden
