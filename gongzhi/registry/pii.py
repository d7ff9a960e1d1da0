"""Sealing personal data for storage: encrypted value, keyed hash, masked form."""

from gongzhi.core import crypto

ID_PURPOSE = "resident.id_number"
PHONE_PURPOSE = "phone"  # one purpose for every phone column, so a phone finds its owners anywhere


def seal_id_number(number: str) -> dict[str, str | None]:
    if not number:
        return {"id_number_enc": "", "id_number_hash": None, "id_number_masked": ""}
    return {
        "id_number_enc": crypto.encrypt(number, purpose=ID_PURPOSE),
        "id_number_hash": id_number_hash(number),
        "id_number_masked": crypto.mask_id_number(number),
    }


def id_number_hash(number: str) -> str:
    return crypto.keyed_hash(number, purpose=ID_PURPOSE)


def seal_phone(phone: str) -> dict[str, str]:
    if not phone:
        return {"phone_enc": "", "phone_hash": "", "phone_masked": ""}
    return {
        "phone_enc": crypto.encrypt(phone, purpose=PHONE_PURPOSE),
        "phone_hash": phone_hash(phone),
        "phone_masked": crypto.mask_phone(phone),
    }


def phone_hash(phone: str) -> str:
    return crypto.keyed_hash(phone, purpose=PHONE_PURPOSE)


def open_id_number(resident) -> str:
    return (
        crypto.decrypt(resident.id_number_enc, purpose=ID_PURPOSE) if resident.id_number_enc else ""
    )


def open_phone(obj) -> str:
    return crypto.decrypt(obj.phone_enc, purpose=PHONE_PURPOSE) if obj.phone_enc else ""
