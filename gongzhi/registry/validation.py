"""Validation and normalisation of identity numbers, phones and credit codes. Pure functions."""

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from gongzhi.core.pii_text import fold

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class FieldError(ValueError):
    """A value that cannot be stored; the message is for the person who typed it."""


# Province-level codes (the first two digits). County codes are not checked against a
# table: they are reassigned over the years, and a person's number stays valid.
_PROVINCES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
}


def clean_id_number(value: str) -> tuple[str, dt.date, str]:
    """(normalised 身份证号, birth date, gender "M"/"F") or FieldError.

    Length, digits, check digit (GB 11643) and birth date through python-stdnum's
    cn.ric; the province code; no birth date in the future.
    """
    number = re.sub(r"[\s\-]", "", fold(value or "")).upper()
    if not number:
        raise FieldError(_("The ID number is required."))
    if (
        len(number) != 18
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise FieldError(_("The ID number must be 18 characters: 17 digits and a digit or X."))
    if number[17] != ric.calc_check_digit(number):
        raise FieldError(_("The ID number's check digit is wrong."))
    try:
        birth = ric.get_birth_date(number)
    except StdnumError:
        raise FieldError(_("The birth date in the ID number is not a real date.")) from None
    if number[:2] not in _PROVINCES:
        raise FieldError(_("The ID number's region code is not valid."))
    if birth > timezone.localdate():
        raise FieldError(_("The birth date in the ID number is in the future."))
    if birth.year < 1880:
        raise FieldError(_("The birth date in the ID number is not a real date."))
    gender = "M" if int(number[16]) % 2 else "F"
    return number, birth, gender


# A country code before a number: +86, 0086, (+86), or 86 before a mobile.
_COUNTRY = re.compile(r"^(?:\(?(?:\+|00)86\)?|86(?=1[3-9]\d{9}$))")


def clean_phone(value: str) -> str:
    """A mobile (13912345678) or a landline with area code (0379-62345678); "" stays "".

    Taken as people write it: full-width digits, spaces, dashes and brackets anywhere, a
    country code (+86, 0086, 86-, (+86)); the result is the one canonical form, so the
    keyed hash of a phone is the same however it was typed."""
    phone = re.sub(r"[\s()\-]", "", fold(value or ""))
    country = _COUNTRY.match(phone)
    if country:
        phone = phone[country.end() :]
        if phone[:1] in "23456789":  # a landline written abroad drops its 0: +86 379 …
            phone = "0" + phone
    if not phone:
        return ""
    if _MOBILE.match(phone):
        return phone
    if re.fullmatch(r"0\d{9,11}", phone):
        # An area code: 3 digits for 010/02x, else 4.
        cut = 3 if phone[1] in "12" else 4
        if 7 <= len(phone) - cut <= 8:
            return phone[:cut] + "-" + phone[cut:]
    raise FieldError(_("Enter a mobile number or a landline with its area code."))


def clean_uscc(value: str) -> str:
    code = (value or "").strip().upper()
    if not code:
        return ""
    try:
        return uscc.validate(code)
    except StdnumError:
        raise FieldError(_("The unified social credit code is not valid.")) from None
