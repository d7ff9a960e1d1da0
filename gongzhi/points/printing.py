"""The QR of a resident's one-time redemption code (an SVG, as the notices' QR), the
printed passbook's context and the workbook of the figures (core.xlsx: text stays text)."""

import base64
import io

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing

from gongzhi.core import xlsx


def qr_svg(text: str, size: float = 220) -> str:
    widget = QrCodeWidget(text, barBorder=2)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return renderSVG.drawToString(drawing)


def qr_data_uri(text: str) -> str:
    """The QR as a data: image (CSP allows img-src data:), for a code that must not be
    kept on the server to be served again."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(text).encode()).decode()


def passbook_print_context(account, rows, *, back: str, printed_at) -> dict:
    """The printed passbook's context (points/passbook_print.html): the rows oldest first."""
    return {
        "account": account,
        "rows": list(reversed(rows)),
        "printed_at": printed_at,
        "back": back,
    }


def workbook(sheets) -> bytes:
    """`sheets`: (name, head, rows) each."""
    out = io.BytesIO()
    book = xlsx.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7"})
    for name, head, rows in sheets:
        sheet = book.add_worksheet(str(name)[:31])
        sheet.write_row(0, 0, [str(h) for h in head], bold)
        for i, row in enumerate(rows, start=1):
            sheet.write_row(i, 0, row)
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, max(1, len(head) - 1), 12)
    book.close()
    return out.getvalue()
