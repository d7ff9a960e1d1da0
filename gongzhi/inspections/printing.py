"""The rectification notice on paper: its text (shared by the A4 page and the PDF), a QR
code of the case's page, and the PDF itself (ReportLab).

The PDF embeds (a subset of) a Chinese TrueType font found on the server — the one
GONGZHI_PDF_FONT names, else Debian's fonts-wqy-zenhei or Noto CJK, else Windows' SimSun —
so every reader shows it. Without one it falls back to the Adobe-Asian CID font
STSong-Light, which Adobe's and most office readers supply but some (poppler without
its language pack) do not: install fonts-wqy-zenhei on the server.
"""

import io
import os
from dataclasses import dataclass
from functools import cache

from django.utils import timezone
from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from gongzhi.inspections.models import RectificationNotice
from gongzhi.inspections.notices import LEGAL_TEXT

FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)


@cache
def font() -> str:
    """The registered name of the font the PDF is set in (see the module's doc)."""
    wanted = os.environ.get("GONGZHI_PDF_FONT", "")
    for path in (wanted, *FONT_PATHS) if wanted else FONT_PATHS:
        if os.path.exists(path):
            try:
                pdfmetrics.registerFont(TTFont("GongzhiCJK", path, subfontIndex=0))
            except Exception:  # a file that is no usable TrueType font: try the next
                continue
            return "GongzhiCJK"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _item(item: dict) -> str:
    return item["text"] + (f"：{item['note']}" if item.get("note") else "")


def _item(item: dict) -> str:
    return item["text"] + (f"：{item['note']}" if item.get("note") else "")


@dataclass
class NoticeText:
    title: str
    number: str
    to: str
    body: str
    items: list[tuple[str, str]]  # (what, basis)
    issuer: str
    issued_on: str
    deadline: str


def text_of(notice: RectificationNotice) -> NoticeText:
    p = notice.premises
    seq = "" if notice.seq == 1 else f"（第{notice.seq}次）"
    return NoticeText(
        title=f"安全隐患整改通知书{seq}",
        number=f"编号：{notice.number}",
        to=f"{p.name}" + (f"（负责人：{p.responsible_name}）" if p.responsible_name else ""),
        body=LEGAL_TEXT.format(deadline=_date(notice.deadline)),
        items=[(_item(i), i.get("basis", "")) for i in notice.items],
        issuer=f"{notice.issuer_unit}　检查人：{notice.issuer_name}",
        issued_on=_date(timezone.localtime(notice.issued_at).date()),
        deadline=_date(notice.deadline),
    )


def _qr(url: str, size: float) -> Drawing:
    widget = QrCodeWidget(url, barBorder=2)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def qr_svg(url: str) -> str:
    return renderSVG.drawToString(_qr(url, 120))


def notice_pdf(notice: RectificationNotice, case_url: str) -> bytes:
    t = text_of(notice)
    base = ParagraphStyle("base", fontName=font(), fontSize=12, leading=20, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=20, leading=30, alignment=1)
    small = ParagraphStyle("small", parent=base, fontSize=10, leading=14, textColor="#555555")
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=22 * mm,
        bottomMargin=20 * mm, title=t.title, author=notice.issuer_unit,
    )  # fmt: skip
    story = [
        Paragraph(t.title, title),
        Paragraph(t.number, ParagraphStyle("num", parent=small, alignment=2)),
        Spacer(0, 6 * mm),
        Paragraph(f"{t.to}：", base),
        Paragraph("　　" + t.body, base),
        Spacer(0, 3 * mm),
    ]
    for n, (what, basis) in enumerate(t.items, start=1):
        story.append(Paragraph(f"{n}. {what}", base))
        if basis:
            story.append(Paragraph(f"　　依据：{basis}", small))
    story += [
        Spacer(0, 10 * mm),
        Table(
            [[_qr(case_url, 28 * mm), [Paragraph(t.issuer, base), Paragraph(t.issued_on, base)]]],
            colWidths=[36 * mm, None],
        ),
        Spacer(0, 12 * mm),
        Paragraph("被检查单位签收：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿＿＿", base),
        Spacer(0, 4 * mm),
        Paragraph(
            "扫描二维码查看整改进度。本通知书一式两份，被检查单位与检查单位各执一份。", small
        ),
    ]
    doc.build(story)
    return out.getvalue()
