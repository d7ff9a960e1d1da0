"""Reading an uploaded sheet row by row: xlsx through python-calamine, CSV through csv.

The header row is checked against the kind's format; merged cells, unreadable files
and text that is neither UTF-8 nor GB18030 are refused with a message naming the
problem. Rows are streamed: calamine keeps the sheet in its own (Rust) memory and
hands out one row at a time; CSV is decoded as it is read.
"""

import codecs
import csv
import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from python_calamine import (
    CalamineError,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from gongzhi.core.errors import DomainError
from gongzhi.imports.formats import Column, Format

EXTENSIONS = (".xlsx", ".csv")
XLSX_MAGIC = b"PK\x03\x04"
MERGED_SHOWN = 5  # merged ranges named in the message; the rest are counted
# The largest integer a spreadsheet number (IEEE double) holds exactly.
_EXACT_INT = 2**53


class FileRefused(DomainError):
    """The whole file cannot be imported; the message says why and what to do."""

    code = "file_refused"


class FileTooLarge(FileRefused):
    code = "file_too_large"
    status = 413


@dataclass(slots=True)
class Row:
    number: int  # as the spreadsheet shows it (the header is usually row 1)
    values: dict[str, str]  # column key -> text, for the columns the file has
    # Text columns whose cell held a number too long to be exact (e.g. a 身份证号
    # Excel stored as 4.10311199001011E+17).
    inexact: tuple[str, ...] = ()


def extension_of(filename: str) -> str:
    return Path(filename or "").suffix.lower()


def cell_text(value) -> str:
    """A cell as text: numbers without a spurious ".0", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def echo(value: str, limit: int = 20) -> str:
    """A cell's text fit to repeat in a message, which is stored with the job: short,
    and with long digit runs (an ID number or phone typed in the wrong column) masked."""
    value = value[:limit] + ("…" if len(value) > limit else "")
    return re.sub(r"\d{7,}", lambda m: m[0][:3] + "*" * (len(m[0]) - 5) + m[0][-2:], value)


def col_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _range_name(start: tuple[int, int], end: tuple[int, int]) -> str:
    return f"{col_letter(start[1])}{start[0] + 1}:{col_letter(end[1])}{end[0] + 1}"


def _header_name(value) -> str:
    return cell_text(value).replace(" ", "").replace("\u3000", "").rstrip("*＊")


class Table:
    """The rows of one sheet, checked against `fmt`: `columns` are the file's known
    columns (None for an ignored one); `rows()` yields the data rows."""

    def __init__(self, fmt: Format, raw_rows: Iterator[tuple[int, list]], estimated_rows: int):
        self.fmt = fmt
        self.estimated_rows = estimated_rows
        self._raw = raw_rows
        self.columns: list[Column | None] = []
        self._read_header()
        self.present = {c.key for c in self.columns if c is not None}

    def _read_header(self) -> None:
        for _number, cells in self._raw:
            names = [_header_name(v) for v in cells]
            if any(names):
                break
        else:
            raise FileRefused(_("The file has no header row and no data."), code="empty_sheet")
        while names and not names[-1]:
            names.pop()
        known = self.fmt.header_map()
        extra = {c.header for c in self.fmt.extra}
        seen: set[str] = set()
        unknown, repeated = [], []
        for name in names:
            if not name:
                self.columns.append(None)
                continue
            if name in seen:
                repeated.append(echo(name))
            seen.add(name)
            column = known.get(name)
            if column is None:
                unknown.append(echo(name))
            self.columns.append(None if column is None or name in extra else column)
        missing = [c.header for c in self.fmt.columns if c.required and c.header not in seen]
        if missing or unknown or repeated:
            parts = []
            if missing:
                parts.append(_("Missing columns: %(columns)s.") % {"columns": "、".join(missing)})
            if unknown:
                parts.append(_("Unknown columns: %(columns)s.") % {"columns": "、".join(unknown)})
            if repeated:
                parts.append(_("Repeated columns: %(columns)s.") % {"columns": "、".join(repeated)})
            parts.append(
                _("Keep the header row of the %(kind)s template.") % {"kind": self.fmt.label}
            )
            raise FileRefused(
                " ".join(parts),
                code="bad_header",
                details={"missing": missing, "unknown": unknown, "repeated": repeated},
            )

    def rows(self) -> Iterator[Row]:
        """Data rows in file order. Blank rows and the template's example row, left as it
        was, are skipped; neither counts as a row."""
        columns = list(enumerate(self.columns))
        columns = [(i, c) for i, c in columns if c is not None]
        text_keys = {c.key for _i, c in columns if c.text}
        example = self.fmt.example_row()
        first_key = self.fmt.columns[0].key
        for number, cells in self._raw:
            width = len(cells)
            values: dict[str, str] = {}
            inexact: list[str] = []
            blank = True
            for i, column in columns:
                raw = cells[i] if i < width else ""
                if column.key in text_keys and isinstance(raw, float) and abs(raw) >= _EXACT_INT:
                    inexact.append(column.key)
                text = cell_text(raw)
                if text:
                    blank = False
                values[column.key] = text
            if blank:
                continue
            if values.get(first_key) == example[first_key] and all(
                values[k] == example.get(k, "") for k in values
            ):
                continue
            yield Row(number, values, tuple(inexact))


def sniff(filename: str, head: bytes) -> None:
    """Refuse, from the first bytes, a file that cannot be what its name says."""
    ext = extension_of(filename)
    if ext not in EXTENSIONS:
        raise FileRefused(
            _("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."), code="unsupported_type"
        )
    if not head:
        raise FileRefused(_("The file is empty."), code="empty_file")
    if ext == ".xlsx" and not head.startswith(XLSX_MAGIC):
        raise FileRefused(_not_a_workbook(), code="not_a_workbook")
    if ext == ".csv" and (b"\0" in head or head.startswith(XLSX_MAGIC)):
        raise FileRefused(_not_text(), code="not_csv")


def _not_a_workbook() -> str:
    return _(
        "The file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
        "an .xlsx workbook or a CSV file, and upload it again."
    )


def _not_text() -> str:
    return _("The file is not a CSV text file. Save it as CSV (UTF-8) and upload it again.")


@contextmanager
def open_table(path, fmt: Format, filename: str) -> Iterator[Table]:
    """The checked sheet of the file at `path` (named `filename` by the uploader)."""
    if extension_of(filename) == ".csv":
        with _open_csv(path) as (raw, estimated):
            yield Table(fmt, raw, estimated)
        return
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise FileRefused(
            _("The workbook is protected by a password. Remove the password and upload it again."),
            code="encrypted_workbook",
        ) from None
    except (CalamineError, OSError, ValueError):
        raise FileRefused(_not_a_workbook(), code="not_a_workbook") from None
    with workbook:
        sheet = _data_sheet(workbook)
        merged = sheet.merged_cell_ranges or []
        if merged:
            names = [_range_name(start, end) for start, end in merged]
            shown = "、".join(names[:MERGED_SHOWN])
            if len(names) > MERGED_SHOWN:
                shown += _(" and %(n)d more") % {"n": len(names) - MERGED_SHOWN}
            raise FileRefused(
                _(
                    "The sheet has merged cells (%(ranges)s). Unmerge them so that each row "
                    "holds one record and each cell one value, then upload the file again."
                )
                % {"ranges": shown},
                code="merged_cells",
                details={"ranges": names},
            )
        # calamine yields rows from the sheet's first row (leading blank rows included),
        # so the row number is the position plus one.
        raw = ((i + 1, cells) for i, cells in enumerate(sheet.iter_rows()))
        yield Table(fmt, raw, max(sheet.height - 1, 0))


def _data_sheet(workbook):
    """The first visible worksheet: the template's data sheet comes first."""
    for index, meta in enumerate(workbook.sheets_metadata):
        if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
            try:
                return workbook.get_sheet_by_index(index)
            except CalamineError:
                break
    raise FileRefused(_("The workbook has no worksheet."), code="empty_sheet")


def detect_encoding(path) -> str:
    """utf-8-sig for UTF-8 (with or without BOM); gb18030, which Chinese Excel writes
    by default, otherwise."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        try:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def _count_lines(path) -> int:
    n, last = 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


@contextmanager
def _open_csv(path):
    encoding = detect_encoding(path)
    estimated = max(_count_lines(path) - 1, 0)
    f = open(path, encoding=encoding, newline="")  # noqa: SIM115 (closed below)
    try:
        try:
            first = f.readline()
            f.seek(0)
        except UnicodeDecodeError:
            raise FileRefused(_bad_encoding(), code="bad_encoding") from None
        delimiter = "\t" if first.count("\t") > first.count(",") else ","

        def rows():
            try:
                for i, cells in enumerate(csv.reader(f, delimiter=delimiter)):
                    yield i + 1, cells
            except UnicodeDecodeError:
                raise FileRefused(_bad_encoding(), code="bad_encoding") from None
            except csv.Error:
                raise FileRefused(_not_text(), code="not_csv") from None

        yield rows(), estimated
    finally:
        f.close()


def _bad_encoding() -> str:
    return _("The CSV file is neither UTF-8 nor GB18030 text. Save it as CSV (UTF-8).")
