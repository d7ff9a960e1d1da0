"""A case's title and description as stored: phones and 身份证号 masked in the columns
every page, list, export and notification reads; the text as written sealed beside
(`Case.text_enc`), opened only by the audited reveal (`services.case_reveal_text`).

The reporter writes the description, often with a phone number in it ("电话 138 1234
5678"); nobody but those allowed to call the reporter back should read it in full, and
they read it through a reveal that leaves an audit row.
"""

import json

from gongzhi.core import crypto
from gongzhi.core.pii_text import mask_personal_text

TEXT_PURPOSE = "case.text"
TITLE_LENGTH = 100


def default_title(category_name: str, text: str) -> str:
    """ "Category：the first 30 characters" of a description (or address), masked first so
    the cut cannot leave part of a number whole."""
    return f"{category_name}：{mask_personal_text(text)[:30]}"


def sealed_text(title: str, description: str) -> dict[str, str]:
    """The fields to store for a case's text: masked title and description, and the text
    as written, encrypted, when masking changed anything (else "")."""
    masked = {
        "title": mask_personal_text(title)[:TITLE_LENGTH],
        "description": mask_personal_text(description),
    }
    written = {"title": title, "description": description}
    changed = masked != written
    return {
        **masked,
        "text_enc": crypto.encrypt(json.dumps(written, ensure_ascii=False), purpose=TEXT_PURPOSE)
        if changed
        else "",
    }


def opened_text(case) -> dict[str, str]:
    """The title and description as written: the sealed text, or the stored one when
    nothing in it needed masking. The caller audits."""
    if not case.text_enc:
        return {"title": case.title, "description": case.description}
    return json.loads(crypto.decrypt(case.text_enc, purpose=TEXT_PURPOSE))
