"""Phone numbers and 身份证号 inside free text: found in every form people write them,
and masked. Pure functions.

People type a number as they read it out: `138 1234 5678`, `138-1234-5678`, with a
country code (`+86`, `+86 `, `0086`, `86-`, `(+86)`), in full-width digits from a Chinese
input method (`１３８１２３４５６７８`), a landline with its area code in brackets
(`（0379）6234 5678`), a 身份证号 in groups (`410302 19900101 123x`). `mask_personal_text`
finds all of them and writes each as its standard mask, the form the stored masked
columns hold (`crypto.mask_phone`, `crypto.mask_id_number`): 138****5678,
4103**********123X, 0379-****5678. In `public` mode (Open311, anything an anonymous
reader gets) every number, and every already-masked number, becomes `***`: not even a
mask's last four digits go out, since they would link one person's reports.

What is left alone: every digit run that is not one of these shapes — dates
(2026-12-07, 2026年12月7日), times, amounts (1,234.56元), case numbers (SJ…), house numbers
(3栋2单元501), postcodes, counts. A local number without its area code (6234 5678) is
not masked: it cannot be told from an amount or a date.

Matching runs on a copy of the text with full-width forms folded to ASCII one character
for one character, so a match's position is its position in the original text.
"""

import re

from gongzhi.core.crypto import mask_id_number, mask_phone

# Full-width digits, letters X/x, plus, hyphen, brackets and the ideographic space, and
# the dashes and spaces people put between digits: each folded to one ASCII character.
_FOLD = {
    **{0xFF10 + i: ord("0") + i for i in range(10)},
    0xFF38: ord("X"),
    0xFF58: ord("x"),
    0xFF0B: ord("+"),
    0xFF0D: ord("-"),
    0xFF08: ord("("),
    0xFF09: ord(")"),
    0x3000: ord(" "),
    0x00A0: ord(" "),
    0x2007: ord(" "),
    0x202F: ord(" "),
    **{c: ord("-") for c in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63)},
}

# Between two digits: nothing, or up to three spaces and hyphens ("138 - 1234 - 5678").
_SEP = r"[ \-]{0,3}"
_D = rf"{_SEP}[0-9]"  # one more digit, perhaps after a separator

# +86, 0086, (+86), and 86 followed by a separator or by a mobile's first digits; a bare
# "86" elsewhere is an ordinary number's.
_COUNTRY = r"(?:\(\s?(?:\+|00)?86\s?\)|(?:\+|00)\s?86|86(?=[ \-]|1[3-9]))[ \-]{0,3}"
_ID = rf"[1-9](?:{_D}){{16}}{_SEP}[0-9Xx]"
_MOBILE = rf"1{_SEP}[3-9](?:{_D}){{9}}"
# An area code: 0379, (0379), or after a country code 379 (the 0 is dropped then).
_AREA = r"(?:\(\s?0[1-9][0-9]{1,2}\s?\)|0[1-9][0-9]{1,2})"
_AREA_ABROAD = r"(?:\(\s?0?[1-9][0-9]{1,2}\s?\)|0?[1-9][0-9]{1,2})"
_LOCAL = rf"{_SEP}[1-9](?:{_D}){{6,7}}"

_NUMBER = re.compile(
    rf"(?<![0-9])(?:(?P<id>{_ID})|(?P<mobile>(?:{_COUNTRY})?{_MOBILE})"
    rf"|(?P<landline>(?P<country>{_COUNTRY})?(?(country){_AREA_ABROAD}|{_AREA}){_LOCAL}))"
    r"(?![0-9])"
)
# What the masks look like (138****5678, 4103**********123X, 0379-****5678): public mode
# hides them too.
_MASKED = re.compile(r"(?:0[0-9]{2,3}-)?[0-9]{0,4}\*{4,}[0-9]{0,4}[Xx]?")

PUBLIC_MASK = "***"


def fold(text: str) -> str:
    """Full-width digits and signs as ASCII, the many dashes as "-", wide spaces as " ";
    every other character unchanged (one character for one)."""
    return text.translate(_FOLD)


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text).upper()


def _canonical(match: re.Match) -> str:
    """The masked form of the number a match holds."""
    if match["id"]:
        return mask_id_number(_digits(match["id"]))
    if match["mobile"]:
        return mask_phone(_digits(match["mobile"])[-11:])
    digits = _digits(match["landline"][len(match["country"] or "") :])
    if not digits.startswith("0"):
        digits = "0" + digits
    # 010 and 02x have three-digit area codes, the others four (as clean_phone cuts them).
    cut = 3 if digits[1] in "12" else 4
    return mask_phone(f"{digits[:cut]}-{digits[cut:]}")


def find_personal_numbers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, masked form) of every phone and 身份证号 in `text`."""
    return [(m.start(), m.end(), _canonical(m)) for m in _NUMBER.finditer(fold(text or ""))]


def mask_personal_text(text: str, *, public: bool = False) -> str:
    """`text` with every phone number and 身份证号 masked, whatever form it is written in.

    Staff and residents read the standard masks (138****5678); `public` readers read
    `***` for every number, masked ones included."""
    if not text:
        return text or ""
    out, at = [], 0
    for start, end, masked in find_personal_numbers(text):
        out.append(text[at:start])
        out.append(PUBLIC_MASK if public else masked)
        at = end
    out.append(text[at:])
    masked_text = "".join(out)
    if public:
        masked_text = _MASKED.sub(PUBLIC_MASK, masked_text)
    return masked_text


def has_personal_numbers(text: str) -> bool:
    return bool(text) and _NUMBER.search(fold(text)) is not None
