import pytest

from gongzhi.orgs.codes import code_errors


@pytest.mark.parametrize(
    ("code", "level", "parent", "parent_level"),
    [
        ("990101", "district", None, None),
        ("990101001", "subdistrict", "990101", "district"),
        ("990101001001", "community", "990101001", "subdistrict"),
        ("990101001001001", "grid", "990101001001", "community"),
        ("990101001001001001", "microgrid", "990101001001001", "grid"),
    ],
)
def test_code_errors__valid_codes_pass(code, level, parent, parent_level):
    assert code_errors(code, level, parent, parent_level) == []


@pytest.mark.parametrize(
    ("code", "level", "parent", "parent_level", "fragment"),
    [
        ("", "district", None, None, "required"),
        ("99O101", "district", None, None, "digits"),
        ("9901011", "district", None, None, "6 digits"),
        ("990102001", "subdistrict", "990101", "district", "does not extend"),
        ("990101000", "subdistrict", "990101", "district", "zero"),
        ("990101001001", "community", "990101", "district", "cannot be placed"),
        ("990101001", "subdistrict", None, None, "must belong"),
        ("990101", "district", "990100", "district", "no parent"),
    ],
)
def test_code_errors__bad_codes_are_explained(code, level, parent, parent_level, fragment):
    from django.utils import translation

    with translation.override("en"):
        errors = code_errors(code, level, parent, parent_level)
    assert errors and any(fragment in e for e in errors), errors
