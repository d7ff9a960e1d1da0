import pytest

from gongzhi.core import crypto


@pytest.fixture(autouse=True)
def _fresh_keys(settings):
    crypto.reset_keyring()
    yield
    crypto.reset_keyring()


def test_encrypt__round_trips_and_is_randomised():
    a = crypto.encrypt("11010519491231002X", purpose="resident.id_number")
    b = crypto.encrypt("11010519491231002X", purpose="resident.id_number")
    assert a != b and "11010519491231002X" not in a
    assert crypto.decrypt(a, purpose="resident.id_number") == "11010519491231002X"


def test_decrypt__refuses_another_purpose_and_tampering():
    token = crypto.encrypt("13912345678", purpose="phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, purpose="resident.id_number")
    version, body = token.split("$")
    tampered = f"{version}${body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, purpose="phone")


def test_keys_rotate__old_versions_still_decrypt(settings):
    settings.DATA_KEYS = "1:" + "A" * 43
    crypto.reset_keyring()
    old = crypto.encrypt("13912345678", purpose="phone")
    settings.DATA_KEYS = "1:" + "A" * 43 + ",2:" + "B" * 43
    crypto.reset_keyring()
    new = crypto.encrypt("13912345678", purpose="phone")
    assert crypto.version_of(old) == 1 and crypto.version_of(new) == 2
    assert crypto.decrypt(old, purpose="phone") == crypto.decrypt(new, purpose="phone")


def test_keyed_hash__stable_and_purpose_bound():
    assert crypto.keyed_hash("x", purpose="a") == crypto.keyed_hash("x", purpose="a")
    assert crypto.keyed_hash("x", purpose="a") != crypto.keyed_hash("x", purpose="b")


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("41030219800101123X", "4103**********123X"),
        ("13812345678", "138****5678"),
        ("0379-62345678", "0379-****5678"),
    ],
)
def test_masks(value, masked):
    fn = crypto.mask_id_number if len(value) == 18 else crypto.mask_phone
    assert fn(value) == masked
