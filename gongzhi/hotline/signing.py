"""The 12345 exchange's request signature, the same both ways.

signature = hex(HMAC-SHA256(secret, timestamp + "\\n" + nonce + "\\n" + raw body))

The timestamp is unix seconds; the nonce is random text of at most 64 printable ASCII
characters, never used twice within the allowed clock skew.
"""

import hashlib
import hmac
import secrets
import time

TIMESTAMP_HEADER = "X-Hotline-Timestamp"
NONCE_HEADER = "X-Hotline-Nonce"
SIGNATURE_HEADER = "X-Hotline-Signature"
MAX_NONCE = 64


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def valid_signature(secret: str, timestamp: str, nonce: str, body: bytes, given: str) -> bool:
    if not secret or not given:
        return False
    return hmac.compare_digest(signature(secret, timestamp, nonce, body), given.strip().lower())


def valid_nonce(nonce: str) -> bool:
    return 0 < len(nonce) <= MAX_NONCE and nonce.isascii() and nonce.isprintable()


def signed_headers(secret: str, body: bytes, *, timestamp: int | None = None, nonce=None):
    """The three headers for `body`, signed now with a fresh nonce."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    return {
        TIMESTAMP_HEADER: ts,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature(secret, ts, nonce, body),
    }
