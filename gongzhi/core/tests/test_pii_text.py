"""Phones and 身份证号 in free text, in every form people write them (property-tested)."""

import datetime as dt
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum.cn import ric

from gongzhi.core.pii_text import fold, has_personal_numbers, mask_personal_text

DIGITS = "0123456789"
FULL_WIDTH = str.maketrans(DIGITS + "Xx+-() ", "０１２３４５６７８９Ｘｘ＋－（）\u3000")

# Chinese text with punctuation, spaces and letters, but no digit: whatever digits the
# output holds came from the number.
filler = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
        st.sampled_from("，。：；、！？（）《》 abcXYZ\n"),
    ),
    max_size=15,
)


@st.composite
def mobiles(draw):
    return "1" + draw(st.sampled_from("3456789")) + draw(st.text(DIGITS, min_size=9, max_size=9))


@st.composite
def id_numbers(draw):
    region = draw(st.sampled_from(["110101", "410302", "440305", "520102", "650104"]))
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)))
    seq = draw(st.text(DIGITS, min_size=3, max_size=3))
    body = f"{region}{birth:%Y%m%d}{seq}"
    return body + ric.calc_check_digit(body)


@st.composite
def landlines(draw):
    area = draw(st.sampled_from(["010", "021", "0379", "0371", "0851", "0755"]))
    local = draw(st.sampled_from("2345678")) + draw(
        st.text(DIGITS, min_size=7 if len(area) == 3 else 6, max_size=7)
    )
    return area, local


def _spread(draw, groups: list[str]) -> str:
    sep = draw(st.sampled_from(["", " ", "-", " - ", "\u3000", "–", "—", "\u00a0"]))
    return sep.join(groups)


def _wide(draw, text: str) -> str:
    """All, none or some characters in full width, as an input method may type them."""
    how = draw(st.sampled_from(["none", "all", "some"]))
    if how == "none":
        return text
    if how == "all":
        return text.translate(FULL_WIDTH)
    flags = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.translate(FULL_WIDTH) if f else c for c, f in zip(text, flags, strict=True))


@st.composite
def written_mobiles(draw):
    number = draw(mobiles())
    prefix = draw(
        st.sampled_from(
            ["", "+86", "+86 ", "+86-", "0086", "0086 ", "86-", "86 ", "86", "(+86)", "(+86) "]
        )
    )
    groups = draw(st.sampled_from([[number], [number[:3], number[3:7], number[7:]]]))
    return number, _wide(draw, prefix + _spread(draw, groups))


@st.composite
def written_ids(draw):
    number = draw(id_numbers())
    groups = draw(
        st.sampled_from(
            [
                [number],
                [number[:6], number[6:14], number[14:]],
                [number[i : i + 4] for i in range(0, 18, 4)],
            ]
        )
    )
    text = _spread(draw, groups)
    if draw(st.booleans()):
        text = text.lower()  # 123x
    return number, _wide(draw, text)


@st.composite
def written_landlines(draw):
    area, local = draw(landlines())
    form = draw(st.sampled_from(["dash", "brackets", "spaced", "abroad", "plain"]))
    text = {
        "dash": f"{area}-{local}",
        "brackets": f"({area}){local}",
        "spaced": f"{area} {local[:4]} {local[4:]}",
        "abroad": f"+86 {area[1:]} {local}",
        "plain": f"{area}{local}",
    }[form]
    return area + local, _wide(draw, text)


def _compact(text: str) -> str:
    return re.sub(r"[ \-]", "", fold(text)).upper()


def _survivors(number: str, text: str, width: int) -> list[str]:
    """Runs of `width` consecutive characters of `number` that are still in `text`."""
    out = _compact(text)
    return [
        number[i : i + width]
        for i in range(len(number) - width + 1)
        if number[i : i + width] in out
    ]


@given(
    written=st.one_of(written_mobiles(), written_ids(), written_landlines()),
    before=filler,
    after=filler,
)
@example(written=("13812345678", "+86 138-1234-5678"), before="电话", after="，谢谢")
@example(written=("410302199001011234", "410302 19900101 1234"), before="身份证", after="")
@example(written=("03796234567", "（0379）623 4567"), before="", after="")
def test_mask__no_run_of_the_number_survives_in_any_written_form(written, before, after):
    number, form = written
    text = before + form + after

    masked = mask_personal_text(text)
    public = mask_personal_text(text, public=True)

    assert _survivors(number, masked, 5) == []
    assert masked.startswith(before) and masked.endswith(after)
    assert has_personal_numbers(text) and not has_personal_numbers(masked)
    # Public readers get no digit of it at all, nor the mask.
    assert _survivors(number, public, 3) == [] and "*" * 4 not in public
    assert public == before + "***" + after


@given(number=mobiles(), before=filler, after=filler)
def test_mask__a_mobile_reads_as_its_standard_mask(number, before, after):
    assert mask_personal_text(f"{before}{number}{after}") == (
        f"{before}{number[:3]}****{number[-4:]}{after}"
    )


@given(number=id_numbers())
def test_mask__an_id_number_reads_as_its_standard_mask(number):
    assert mask_personal_text(number.lower()) == number[:4] + "*" * 10 + number[-4:]


# Ordinary numbers people write in a report, left as they are.
ordinary = st.one_of(
    st.dates().flatmap(
        lambda d: st.sampled_from(
            [f"{d:%Y-%m-%d}", f"{d:%Y/%m/%d}", f"{d.year}年{d.month}月{d.day}日", f"{d:%Y.%m.%d}"]
        )
    ),
    st.times().map(lambda t: f"{t:%H:%M}"),
    st.decimals(min_value=0, max_value=10**7, places=2).map(lambda a: f"{a:,}元"),
    st.integers(0, 10**9).map(lambda n: f"¥{n}"),
    st.integers(0, 10**6).map(lambda n: f"SJ{20200101 + n % 80000:08d}{n:06d}"),
    st.tuples(st.integers(1, 40), st.integers(1, 9), st.integers(101, 3305)).map(
        lambda t: f"{t[0]}栋{t[1]}单元{t[2]}"
    ),
    st.tuples(st.integers(1, 40), st.integers(1, 9), st.integers(101, 3305)).map(
        lambda t: f"{t[0]}号楼{t[1]}单元{t[2]}室"
    ),
    st.integers(100000, 999999).map(str),  # postcodes, counts
    st.integers(0, 100).map(lambda n: f"{n}%"),
    st.integers(1, 10**5).map(lambda n: f"第{n}次"),
    st.integers(1900, 2100).map(lambda y: f"{y}-{y + 5}年"),
)
joiner = st.text(
    alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=4
)


@given(parts=st.lists(st.tuples(ordinary, joiner), max_size=6))
def test_mask__ordinary_numbers_are_left_alone(parts):
    text = "".join(a + b for a, b in parts)
    assert mask_personal_text(text) == text
    assert mask_personal_text(text, public=True) == text


@given(written=written_mobiles(), left=ordinary, right=ordinary)
def test_mask__ordinary_numbers_beside_a_phone_are_kept(written, left, right):
    number, form = written
    text = f"{left}，电话{form}，{right}"
    masked = mask_personal_text(text)
    assert masked == f"{left}，电话{number[:3]}****{number[-4:]}，{right}"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("联系人王先生，电话 138 1234 5678。", "联系人王先生，电话 138****5678。"),
        ("座机（0379）6234 5678 转 801", "座机0379-****5678 转 801"),
        ("+86-10-62345678", "010-****5678"),
        ("身份证４１０３０２１９９００１０１１２３ｘ", "身份证4103**********123X"),
        ("3栋2单元501，SJ20261207000012，2026-12-07 13:45", None),
        ("", None),
    ],
)
def test_mask__examples(text, masked):
    assert mask_personal_text(text) == (text if masked is None else masked)


def test_mask__public_hides_masks_already_made():
    assert mask_personal_text("反映人 138****5678，证件 4103**********123X", public=True) == (
        "反映人 ***，证件 ***"
    )
