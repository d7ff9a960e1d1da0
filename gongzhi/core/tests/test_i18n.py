"""The Simplified Chinese catalog is complete, and the committed .mo matches the .po.

The .po is read by a small parser (no polib): enough of the PO format for what
makemessages writes — comments, flags, msgctxt, msgid, msgid_plural, msgstr,
msgstr[n], continuation lines; obsolete (#~) entries are skipped.
"""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

PO_PATH = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        ctx = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {ctx}{self.msgid!r}"


def parse_po(text: str) -> list[Entry]:
    """Every entry of a PO file, the header (msgid "") included, in file order."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None  # which field continuation lines extend

    def finish():
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    def start(lineno: int) -> Entry:
        nonlocal current
        if current is None or current.msgstr:  # a new entry begins
            finish()
            current = Entry(line=lineno)
        return current

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue  # obsolete entry: not compiled, not checked
        elif line.startswith("#,"):
            entry = start(lineno)
            entry.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
        elif line.startswith("#"):
            start(lineno)
        elif line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"{PO_PATH.name}:{lineno}: string outside an entry")
            value = _unquote(line, lineno)
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, name, getattr(current, name) + value)
        else:
            keyword, _, rest = line.partition(" ")
            value = _unquote(rest.strip(), lineno)
            if keyword in ("msgctxt", "msgid"):
                entry = start(lineno)
                setattr(entry, keyword, value)
                target = (keyword, None)
            elif keyword == "msgid_plural" and current is not None:
                current.msgid_plural = value
                target = ("msgid_plural", None)
            elif keyword == "msgstr" and current is not None:
                current.msgstr[0] = value
                target = ("msgstr", 0)
            elif (m := re.fullmatch(r"msgstr\[(\d+)\]", keyword)) and current is not None:
                current.msgstr[int(m[1])] = value
                target = ("msgstr", int(m[1]))
            else:
                raise ValueError(f"{PO_PATH.name}:{lineno}: cannot read {raw!r}")
    finish()
    return entries


def _unquote(token: str, lineno: int) -> str:
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"{PO_PATH.name}:{lineno}: expected a quoted string, got {token!r}")
    return ast.literal_eval(token)  # PO escapes (\" \\ \n \t) are Python's


@pytest.fixture(scope="module")
def catalog() -> list[Entry]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run makemessages -l zh_Hans"
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def messages(catalog) -> list[Entry]:
    return [e for e in catalog if e.msgid != ""]


def _report(title: str, offenders: list[str]) -> str:
    return f"{title} ({len(offenders)}):\n  " + "\n  ".join(offenders)


def test_header_declares_simplified_chinese(catalog):
    header = next((e for e in catalog if e.msgid == "" and e.msgctxt is None), None)
    assert header is not None, "the .po has no header entry"
    fields = dict(
        line.split(":", 1) for line in header.msgstr.get(0, "").splitlines() if ":" in line
    )
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    assert fields.get("Language") == "zh_Hans"
    assert fields.get("Plural-Forms") == "nplurals=1; plural=0;"
    assert "charset=UTF-8" in fields.get("Content-Type", "")
    assert "fuzzy" not in header.flags, "the header is still marked fuzzy"


def test_catalog_is_not_empty(messages):
    assert len(messages) > 100, f"only {len(messages)} messages: was makemessages run?"


def test_no_entry_is_fuzzy(messages):
    fuzzy = [e.label for e in messages if "fuzzy" in e.flags]
    assert not fuzzy, _report("Fuzzy entries to review", fuzzy)


def test_every_entry_is_translated(messages):
    empty = []
    for e in messages:
        forms = list(e.msgstr.values()) or [""]
        if any(not s.strip() for s in forms):
            empty.append(e.label)
    assert not empty, _report("Untranslated entries", empty)


def test_translations_keep_the_placeholders(messages):
    """%(name)s, %(n)d … must survive translation, or formatting fails at run time."""
    wrong = []
    for e in messages:
        if "python-format" not in e.flags:
            continue
        wanted = sorted(_PLACEHOLDER.findall(e.msgid))
        for s in e.msgstr.values():
            if s and sorted(_PLACEHOLDER.findall(s)) != wanted:
                wrong.append(f"{e.label} -> {s!r}")
    assert not wrong, _report("Placeholders differ from the msgid", wrong)


def test_compiled_catalog_matches_the_po(messages):
    """gettext (which reads the committed .mo) returns the .po's msgstr for every msgid."""
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run compilemessages -l zh_Hans"
    stale = []
    with translation.override("zh-hans"):
        for e in messages:
            if e.msgid_plural is not None:
                continue
            want = e.msgstr.get(0, "")
            if not want:
                continue  # reported by test_every_entry_is_translated
            if e.msgctxt is not None:
                got = translation.pgettext(e.msgctxt, e.msgid)
            else:
                got = translation.gettext(e.msgid)
            if got != want:
                stale.append(f"{e.label}: .mo gives {got!r}, .po says {want!r}")
    assert not stale, _report("The .mo does not match the .po (run compilemessages)", stale)
