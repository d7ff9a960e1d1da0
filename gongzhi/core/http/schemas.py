from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator

from gongzhi.core.pii_text import mask_personal_text


class ErrorOut(Schema):
    code: str
    message: str
    details: object | None = None


# Free text someone typed (a note, a result, a reason), output with its phones and
# 身份证号 masked (core.pii_text).
MaskedText = Annotated[str, AfterValidator(mask_personal_text)]
