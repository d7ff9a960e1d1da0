"""{{ text|masked }}: free text with phones and 身份证号 masked (core.pii_text), for every
page that shows text someone typed (notes, results, reasons)."""

from django import template

from gongzhi.core.pii_text import mask_personal_text

register = template.Library()


@register.filter
def masked(text) -> str:
    return mask_personal_text(str(text or ""))
