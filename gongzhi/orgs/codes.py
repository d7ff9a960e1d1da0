"""Validation of hierarchical org codes. Pure functions, no ORM.

A code is digits only; its length is fixed by its level (6 district, 9
subdistrict, 12 community, 15 grid, 18 micro-grid); a child's code extends its
parent's by the child level's segment, and a segment of all zeros is reserved
(统计用区划代码 pads with zeros, so "000" means "no unit at this level").
"""

import re

from django.utils.translation import gettext as _

from gongzhi.core.roles import CODE_LENGTH, LEVEL_DIGITS, LEVEL_ORDER, Level, child_level

_DIGITS = re.compile(r"^[0-9]+$")


def code_errors(
    code: str, level: str, parent_code: str | None, parent_level: str | None
) -> list[str]:
    """Every reason `code` is not a valid code for a unit of `level` under the parent."""
    errors: list[str] = []
    if not code:
        return [_("The code is required.")]
    if not _DIGITS.match(code):
        return [_("The code may contain digits only.")]
    level = Level(level)
    if len(code) != CODE_LENGTH[level]:
        errors.append(
            _("A %(level)s code has %(n)d digits; “%(code)s” has %(m)d.")
            % {"level": level.label, "n": CODE_LENGTH[level], "code": code, "m": len(code)}
        )
    if level == LEVEL_ORDER[0]:
        if parent_code is not None:
            errors.append(_("A district has no parent unit."))
    elif parent_code is None:
        errors.append(_("A %(level)s must belong to a parent unit.") % {"level": level.label})
    else:
        if child_level(parent_level) != level:
            errors.append(
                _("A %(level)s cannot be placed under a %(parent)s.")
                % {"level": level.label, "parent": Level(parent_level).label}
            )
        if not code.startswith(parent_code):
            errors.append(
                _("The code “%(code)s” does not extend its parent's code “%(parent)s”.")
                % {"code": code, "parent": parent_code}
            )
    segment = code[-LEVEL_DIGITS[level] :]
    if not errors and set(segment) == {"0"}:
        errors.append(_("The last %(n)d digits may not all be zero.") % {"n": len(segment)})
    return errors


def level_for_child_of(parent_level: str | None) -> str | None:
    return LEVEL_ORDER[0] if parent_level is None else child_level(parent_level)
