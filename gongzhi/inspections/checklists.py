"""Checklist items and answers: pure checks, no ORM.

An item is {key, text, answer, required, photo_on_fail, severity, category, min, max,
basis}: `answer` is pass_fail, number or text; a number outside [min, max] fails; text
never fails; `category` is the case category code a failure is filed under (default the
template's); `basis` is the rule cited on a rectification notice.

An answer is {value, note}: for pass_fail the value is "pass", "fail" or "na" (不涉及).
"""

import math
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from gongzhi.inspections.models import AnswerType, Severity

MAX_ITEMS = 60
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PASS_FAIL = ("pass", "fail", "na")
SEVERITY_RANK = {Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1}


def clean_items(raw) -> list[dict]:
    """The items of a new template version, normalised; raises ValueError naming the
    first problem (the service turns it into a field error)."""
    if not isinstance(raw, list) or not raw:
        raise ValueError(_("A checklist needs at least one item."))
    if len(raw) > MAX_ITEMS:
        raise ValueError(_("A checklist has at most %(n)d items.") % {"n": MAX_ITEMS})
    items, keys = [], set()
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ValueError(_("Item %(n)d is not valid.") % {"n": n})
        key = str(item.get("key") or f"item{n}")
        text = str(item.get("text") or "").strip()
        answer = item.get("answer") or AnswerType.PASS_FAIL
        severity = item.get("severity") or Severity.MEDIUM
        if not KEY_RE.match(key) or key in keys:
            raise ValueError(_("Item %(n)d: its key must be unique, a-z, 0-9 and _.") % {"n": n})
        if not text or len(text) > 200:
            raise ValueError(
                _("Item %(n)d: say what to check (at most 200 characters).") % {"n": n}
            )
        if answer not in AnswerType.values or severity not in Severity.values:
            raise ValueError(_("Item %(n)d is not valid.") % {"n": n})
        bounds = {b: item.get(b) for b in ("min", "max") if item.get(b) not in (None, "")}
        for v in bounds.values():
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(_("Item %(n)d: the bounds are numbers.") % {"n": n})
        keys.add(key)
        items.append(
            {
                "key": key,
                "text": text,
                "answer": answer,
                "required": bool(item.get("required", True)),
                "photo_on_fail": bool(item.get("photo_on_fail", answer == AnswerType.PASS_FAIL)),
                "severity": severity,
                "category": str(item.get("category") or ""),
                "basis": str(item.get("basis") or "")[:200],
                **bounds,
            }
        )
    return items


@dataclass
class Checked:
    answers: dict  # key -> {"value", "note"}
    failed: list[dict]  # the failed items, each with the answer's note
    errors: dict[str, list[str]]


def _number(value):
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def check_answers(items: list[dict], answers, *, photos: set[str]) -> Checked:
    """Check `answers` (key -> {"value", "note"} or a bare value) against `items` (only
    those given: a re-inspection passes the failed items alone). `photos` are the keys
    that come with a photo. Errors are per item key; nothing is stored here."""
    answers = answers if isinstance(answers, dict) else {}
    known = {i["key"] for i in items}
    errors: dict[str, list[str]] = {}
    for key in answers:
        if key not in known:
            errors.setdefault(str(key)[:40], []).append(_("Not an item of this checklist."))
    kept, failed = {}, []
    for item in items:
        key = item["key"]
        given = answers.get(key)
        if not isinstance(given, dict):
            given = {"value": given}
        value, note = given.get("value"), str(given.get("note") or "").strip()[:200]
        if value in (None, ""):
            if item["required"]:
                errors.setdefault(key, []).append(_("Answer this item."))
            continue
        fails = False
        if item["answer"] == AnswerType.PASS_FAIL:
            if value not in PASS_FAIL:
                errors.setdefault(key, []).append(_("Choose pass, fail or not applicable."))
                continue
            fails = value == "fail"
        elif item["answer"] == AnswerType.NUMBER:
            number = _number(value)
            if number is None:
                errors.setdefault(key, []).append(_("Enter a number."))
                continue
            value = number
            fails = number < item.get("min", -math.inf) or number > item.get("max", math.inf)
        else:
            value = str(value).strip()[:200]
        if fails and item["photo_on_fail"] and key not in photos:
            errors.setdefault(key, []).append(_("A failed item needs a photo."))
        kept[key] = {"value": value, "note": note}
        if fails:
            failed.append({**item, "note": note})
    return Checked(kept, failed, errors)


def worst(failed: list[dict]) -> str:
    return max((i["severity"] for i in failed), key=SEVERITY_RANK.__getitem__)
