import datetime as dt

import pytest
from stdnum.cn import ric

from gongzhi.registry.validation import FieldError, clean_id_number, clean_phone, clean_uscc


def make_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def test_clean_id_number__derives_birth_and_gender():
    number, birth, gender = clean_id_number(" " + make_id("41030219800101123").lower() + " ")
    assert birth == dt.date(1980, 1, 1) and gender == "M"
    assert number == make_id("41030219800101123")
    assert clean_id_number(make_id("41030219800101122"))[2] == "F"


def test_clean_id_number__takes_spaces_and_full_width():
    number = make_id("41030219800101123")
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}".lower()
    wide = spaced.translate(str.maketrans("0123456789xX ", "０１２３４５６７８９ｘＸ\u3000"))
    assert clean_id_number(spaced)[0] == clean_id_number(wide)[0] == number


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "required"),
        ("4103021980010112", "18 characters"),
        ("41030219800101123" + "Y", "18 characters"),
        (
            "410302198001011230"
            if make_id("41030219800101123")[-1] != "0"
            else "410302198001011231",
            "check digit",
        ),
        (make_id("41030219801301123"), "real date"),
        (make_id("99030219800101123"), "region"),
        (make_id("41030220991231123"), "future"),
    ],
)
def test_clean_id_number__refuses_bad_numbers(value, fragment):
    from django.utils import translation

    with translation.override("en"), pytest.raises(FieldError) as exc:
        clean_id_number(value)
    assert fragment in str(exc.value)


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        ("138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("037962345678", "0379-62345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("86-13812345678", "13812345678"),
        ("(+86)13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("＋８６　１３８－１２３４－５６７８", "13812345678"),
        ("（0379）6234 5678", "0379-62345678"),
        ("+86 379 6234 5678", "0379-62345678"),
        ("010-12345678", "010-12345678"),
        ("", ""),
    ],
)
def test_clean_phone(value, clean):
    assert clean_phone(value) == clean


@pytest.mark.parametrize(
    "value", ["12345", "2381234567a", "1381234567", "0379623456", "86 0379 62345678 1"]
)
def test_clean_phone__refuses(value):
    with pytest.raises(FieldError):
        clean_phone(value)


def test_clean_uscc():
    assert clean_uscc("91110000600037341l") == "91110000600037341L"
    assert clean_uscc("") == ""
    with pytest.raises(FieldError):
        clean_uscc("91110000600037341X")
