"""Encryption at rest and keyed hashes for personal data (身份证号, phone numbers).

A stored value is "<key version>$<base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag)>";
the field's purpose (e.g. "resident.id_number") is the associated data, so a value
copied into another column does not decrypt. The keyed hash (HMAC-SHA256 under a
separate key, also bound to the purpose) finds exact matches and duplicates without
decrypting. Masked forms are computed once and stored beside, so lists never decrypt.
"""

import base64
import functools
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    pass


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@functools.cache
def _keyring() -> tuple[int, dict[int, bytes], bytes]:
    """(current version, {version: key}, hash key) from settings; cached per process."""
    if settings.DATA_KEYS:
        keys = {}
        for item in settings.DATA_KEYS.split(","):
            version, _, b64 = item.strip().partition(":")
            key = _b64decode(b64.strip())
            if not version.isdigit() or len(key) != 32:
                raise ImproperlyConfigured("DATA_KEYS: each item is version:base64 of 32 bytes")
            keys[int(version)] = key
    else:
        # Development only (production refuses to start without DATA_KEYS).
        keys = {1: hashlib.sha256(b"gongzhi-data-key\0" + settings.SECRET_KEY.encode()).digest()}
    if settings.HASH_KEY:
        hash_key = _b64decode(settings.HASH_KEY)
    else:
        hash_key = hashlib.sha256(b"gongzhi-hash-key\0" + settings.SECRET_KEY.encode()).digest()
    return max(keys), keys, hash_key


def reset_keyring() -> None:
    """Forget the cached keys (after settings change, in tests and key rotation)."""
    _keyring.cache_clear()


def current_version() -> int:
    return _keyring()[0]


def encrypt(plaintext: str, *, purpose: str) -> str:
    version, keys, _ = _keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(keys[version]).encrypt(nonce, plaintext.encode(), purpose.encode())
    return f"{version}${base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def decrypt(token: str, *, purpose: str) -> str:
    _, keys, _ = _keyring()
    version, sep, body = token.partition("$")
    if not sep or not version.isdigit() or int(version) not in keys:
        raise DecryptionError("unknown key version")
    raw = _b64decode(body)
    try:
        return AESGCM(keys[int(version)]).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
    except InvalidTag:
        raise DecryptionError("the value was altered or belongs to another field") from None


def version_of(token: str) -> int | None:
    version = token.partition("$")[0]
    return int(version) if version.isdigit() else None


def keyed_hash(value: str, *, purpose: str) -> str:
    """A stable HMAC of the normalised value: equal values, equal hashes; nothing to reverse."""
    _, _, hash_key = _keyring()
    return hmac.new(hash_key, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """4103**********123X: the region and the last four, as 公安 practice shows them."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678 for a mobile; a landline keeps its area code and last four."""
    digits = value.replace("-", "")
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    if "-" in value:
        area, _, number = value.partition("-")
        return area + "-" + "*" * max(len(number) - 4, 0) + number[-4:]
    return "*" * max(len(value) - 4, 0) + value[-4:]
