"""Round workbooks that go wrong the ways real ones do, written with openpyxl.

Each maker starts from a valid workbook (the one `tests.unit.test_roster_import` imports,
written by the bot's own `workbook_bytes`) and changes it the way a coordinator's Excel, a
script or an attacker would: formulas, error cells, cells far over a column's limit, dates
and numbers typed as text, merged cells, blank rows, a sheet of 100,000 people, a file that
is not a workbook at all, a small file that unpacks to gigabytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.rounds.workbook import (
    SHEET_PARTICIPANTS,
    ParticipantRow,
    RoundWorkbook,
    workbook_bytes,
)


def base_workbook() -> RoundWorkbook:
    from tests.unit.test_roster_import import sample_workbook

    return sample_workbook()


def base_bytes() -> bytes:
    return workbook_bytes(base_workbook())


def edited(change: Callable[[Any], None], source: bytes | None = None) -> bytes:
    """The base workbook (or `source`) opened in openpyxl, changed by `change(book)`, saved."""
    book = load_workbook(io.BytesIO(source or base_bytes()))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def column_of(sheet: Worksheet, header: str) -> int:
    """The 1-based column of a header in a table sheet's first row."""
    for cell in sheet[1]:
        if str(cell.value or "").strip().lower() == header:
            return int(cell.column or 0)
    raise KeyError(header)


def set_cell(sheet_name: str, row: int, header: str, value: object) -> Callable[[Any], None]:
    def change(book: Any) -> None:
        sheet = book[sheet_name]
        sheet.cell(row=row, column=column_of(sheet, header), value=value)

    return change


def many_people(count: int) -> bytes:
    """A Participants sheet of `count` mentees (plus the base's people), written in write-only
    mode so that making it stays quick; every row is valid on its own."""
    from openpyxl import Workbook

    template = load_workbook(io.BytesIO(base_bytes()))
    book = Workbook(write_only=True)
    for sheet in template.worksheets:
        target = book.create_sheet(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            target.append(row)
        if sheet.title == SHEET_PARTICIPANTS:
            header = [str(value or "").strip().lower() for value in next(sheet.iter_rows(values_only=True))]
            for number in range(count):
                person = {"email": f"mentee{number}@example.org", "name": f"Mentee {number}", "role": "mentee",
                          "languages": "English"}
                target.append([person.get(column) for column in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_people(*people: ParticipantRow) -> bytes:
    workbook = base_workbook()
    return workbook_bytes(replace(workbook, participants=(*workbook.participants, *people)))


def zip_bomb(*, unpacked_mb: int = 1024) -> bytes:
    """A valid-looking .xlsx of a few megabytes whose Participants sheet unpacks to
    `unpacked_mb` megabytes (blank rows, which deflate about a thousandfold)."""
    source = zipfile.ZipFile(io.BytesIO(base_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/") and b"ana@example.org" in data:
                head, _, tail = data.partition(b"</sheetData>")
                with bomb.open(info.filename, "w", force_zip64=True) as stream:
                    stream.write(head)
                    filler = b"<row/>" * (1024 * 1024 // 6)
                    for _ in range(unpacked_mb):
                        stream.write(filler)
                    stream.write(b"</sheetData>" + tail)
            else:
                bomb.writestr(info, data)
    return out.getvalue()


def _sheet_part(archive: zipfile.ZipFile, title: str) -> str:
    """The zip part holding the sheet called `title` (read from the workbook's own index)."""
    import re

    book = archive.read("xl/workbook.xml").decode()
    rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    match = re.search(rf'<sheet name="{title}"[^>]*r:id="(rId\d+)"', book)
    assert match, title
    target = re.search(rf'Target="([^"]+)"[^>]*Id="{match.group(1)}"', rels)
    assert target, match.group(1)
    return target.group(1).lstrip("/")


def patched(title: str, transform: Callable[[bytes], bytes], source: bytes | None = None) -> bytes:
    """The workbook with one sheet's XML rewritten by `transform`: for what openpyxl cannot
    write (a formula with the result Excel saves beside it, a sheet without its size)."""
    archive = zipfile.ZipFile(io.BytesIO(source or base_bytes()))
    part = _sheet_part(archive, title)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as copy:
        for info in archive.infolist():
            data = archive.read(info.filename)
            copy.writestr(info, transform(data) if info.filename == part else data)
    return out.getvalue()


def formula(cell: str, expression: str, saved: str | None) -> Callable[[bytes], bytes]:
    """Replace `cell` (say "B3") with a text formula, with Excel's saved result or without."""
    import re

    def transform(xml: bytes) -> bytes:
        result = f"<v>{saved}</v>" if saved is not None else ""
        new = f'<c r="{cell}" t="str"><f>{expression}</f>{result}</c>'.encode()
        changed, count = re.subn(rf'<c r="{cell}"[^>]*?(?:/>|>.*?</c>)'.encode(), new, xml, count=1)
        assert count == 1, cell
        return changed

    return transform


def rows_appended(count: int, *, dimension: bool, stated_rows: int | None = None) -> Callable[[bytes], bytes]:
    """`count` more mentees written straight into the sheet's XML (quick even at 100,000),
    with the sheet's stated size (as Excel writes it), without (as some programs do), or
    with a wrong one (`stated_rows`)."""
    import re

    def transform(xml: bytes) -> bytes:
        last = max(int(r) for r in re.findall(rb'<row r="(\d+)"', xml))
        rows = b"".join(
            b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>m%d@example.org</t></is></c>'
            b'<c r="B%d" t="inlineStr"><is><t>Mentee %d</t></is></c>'
            b'<c r="C%d" t="inlineStr"><is><t>mentee</t></is></c></row>' % ((n,) * 2 + (n,) + (n,) * 2 + (n,))
            for n in range(last + 1, last + 1 + count))
        xml = re.sub(rb"<dimension[^>]*/>", b"", xml)
        if dimension:
            rows_stated = stated_rows if stated_rows is not None else last + count
            xml = xml.replace(b"<sheetData>", b'<dimension ref="A1:K%d"/><sheetData>' % rows_stated, 1)
        return xml.replace(b"</sheetData>", rows + b"</sheetData>", 1)

    return transform


def far_down(row: int) -> Callable[[bytes], bytes]:
    """One more cell, alone at `row` (Excel's last is 1,048,576): every row above it exists."""
    def transform(xml: bytes) -> bytes:
        cell = b'<row r="%d"><c r="D%d" t="inlineStr"><is><t>x</t></is></c></row>' % (row, row)
        return xml.replace(b"</sheetData>", cell + b"</sheetData>", 1)

    return transform


def oversized(size: int) -> bytes:
    """A valid workbook padded with a picture-like part of `size` bytes that does not compress."""
    import os

    archive = zipfile.ZipFile(io.BytesIO(base_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as copy:
        for info in archive.infolist():
            copy.writestr(info, archive.read(info.filename))
        copy.writestr("xl/media/image1.png", os.urandom(size))
    return out.getvalue()


def not_a_workbook() -> dict[str, bytes]:
    """Files people send by mistake under a .xlsx name."""
    csv = b"email,name,role\nana@example.org,Ana,mentee\n"
    empty_zip = io.BytesIO()
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return {
        "csv": csv,
        "pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
        "xls": bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504,  # an old .xls (OLE2) header
        "empty": b"",
        "zip": empty_zip.getvalue(),
        "truncated": base_bytes()[:2000],
    }


__all__ = ["base_bytes", "base_workbook", "column_of", "edited", "far_down", "formula", "many_people",
           "not_a_workbook", "oversized", "patched", "rows_appended", "set_cell", "with_people", "zip_bomb"]
