"""Workbooks as a user opens them: typed cells, a usable header, values never formulas."""
from __future__ import annotations

import datetime as dt
import decimal
import os
import tempfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from crm_tui import i18n
from crm_tui.export.table import BOOLEAN, DATE, DATETIME, INTEGER, NUMBER, TEXT, Column
from crm_tui.export.text import render_html, render_text
from crm_tui.export.xlsx import MAX_CELL_CHARACTERS, ExportError, write_xlsx

COLUMNS = [
    Column("number", "Number", INTEGER, 8),
    Column("name", "Client", TEXT, 30),
    Column("created", "Created", DATETIME, 17),
    Column("due", "Next contact date", DATE, 12),
    Column("amount", "Amount", NUMBER, 10),
    Column("done", "Done", BOOLEAN, 6),
]


def read(path: Path):
    return load_workbook(path).active


def test_header_is_translated_bold_frozen_filtered_and_wide_enough(tmp_path):
    i18n.set_language("es")
    target = tmp_path / "clientes.xlsx"
    written = write_xlsx(target, COLUMNS, [(1, "Ana", None, None, None, None), (2, "Beto", None, None, 1, True)],
                         sheet_title="Clientes")
    sheet = read(target)
    assert written == 2
    assert sheet.title == "Clientes"
    assert [cell.value for cell in sheet[1]][:4] == ["Número", "Cliente", "Creada", "Fecha de próximo contacto"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F3"
    assert sheet.column_dimensions["B"].width == 30
    assert sheet.column_dimensions["D"].width >= len("Fecha de próximo contacto")
    assert sheet["F3"].value == "Sí"


def test_values_keep_their_types(tmp_path):  # dates as the English interface shows them
    target = tmp_path / "typed.xlsx"
    moment = dt.datetime(2026, 11, 27, 16, 45)
    write_xlsx(target, COLUMNS, [
        (7, "Ana", moment, dt.date(2026, 12, 31), 1234.5, False),
        (8, None, None, None, decimal.Decimal("10.25"), True),
        (2**40, "", moment.date(), moment, float("nan"), None),
    ])
    sheet = read(target)
    number, name, created, due, amount, done = sheet[2]
    assert (number.value, number.data_type) == (7, "n")
    assert (created.value, created.is_date, created.number_format) == (moment, True, "yyyy-mm-dd hh:mm")
    assert (due.value, due.is_date, due.number_format) == (dt.datetime(2026, 12, 31), True, "yyyy-mm-dd")
    assert (amount.value, amount.data_type) == (1234.5, "n")
    assert done.value == "No"
    assert [cell.value for cell in sheet[3]] == [8, None, None, None, 10.25, "Yes"]
    big, empty, day, stamp, not_a_number, nothing = sheet[4]
    assert big.value == 2**40
    assert empty.value is None and nothing.value is None and not_a_number.value is None
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    assert stamp.is_date and stamp.value == moment


RISKY = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\r=cmd", "=HYPERLINK(\"http://x\",\"y\")", "#N/A",
         "-", "=", "'quoted"]


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    target = tmp_path / "risky.xlsx"
    write_xlsx(target, [Column("text", "Text")], [(value,) for value in RISKY])
    sheet = read(target)
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # Written through lxml, even a leading carriage return comes back as it was.
    assert [cell.value for cell in cells] == RISKY
    assert all(cell.data_type == "s" for cell in cells)
    assert all(cell.quotePrefix for cell in cells[:7])
    formulas = load_workbook(target, data_only=False).active
    assert not any(cell.data_type == "f" for row in formulas.iter_rows() for cell in row)


def test_control_characters_removed_and_long_text_cut_with_a_mark(tmp_path):
    target = tmp_path / "text.xlsx"
    long_text = "a" * 40_000
    write_xlsx(target, [Column("text", "Text")], [
        ("bell\x07 null\x00 esc\x1b vertical\x0b ok\nline",),
        (long_text,),
        ("😀" * 20_000,),
        ("[bold]Cámara[/] 🎉 [@click=app.quit]",),
        ("a" * MAX_CELL_CHARACTERS,),
    ])
    sheet = read(target)
    assert sheet["A2"].value == "bell null esc vertical ok\nline"
    cut = sheet["A3"].value
    assert cut.endswith(" … [cut]") and cut.startswith("aaaa")
    assert len(cut) == MAX_CELL_CHARACTERS
    emoji = sheet["A4"].value
    assert emoji.endswith(" … [cut]") and len(emoji.encode("utf-16-le")) // 2 <= MAX_CELL_CHARACTERS
    assert sheet["A5"].value == "[bold]Cámara[/] 🎉 [@click=app.quit]"
    assert sheet["A6"].value == "a" * MAX_CELL_CHARACTERS


def test_the_cut_mark_is_translated(tmp_path):
    i18n.set_language("es")
    target = tmp_path / "largo.xlsx"
    write_xlsx(target, [Column("text", "Text")], [("b" * 40_000,)])
    assert read(target)["A2"].value.endswith(" … [recortado]")


def test_rows_are_streamed_from_a_generator(tmp_path):
    target = tmp_path / "many.xlsx"
    consumed = []

    def rows():
        for index in range(3000):
            consumed.append(index)
            yield (index, f"Cliente {index}", None, None, index / 2, index % 2 == 0)

    assert write_xlsx(target, COLUMNS, rows()) == 3000
    sheet = read(target)
    assert sheet.max_row == 3001
    assert sheet["A3001"].value == 2999
    assert sheet.auto_filter.ref == "A1:F3001"
    assert len(consumed) == 3000


def test_empty_list_still_has_a_header(tmp_path):
    target = tmp_path / "empty.xlsx"
    assert write_xlsx(target, COLUMNS, iter(())) == 0
    sheet = read(target)
    assert [cell.value for cell in sheet[1]][:2] == ["Number", "Client"]
    assert sheet.max_row == 1


def test_unwritable_places_raise_export_error_and_leave_nothing(tmp_path):
    missing = tmp_path / "no" / "such" / "folder" / "out.xlsx"
    with pytest.raises(ExportError) as error:
        write_xlsx(missing, COLUMNS, [])
    assert str(error.value) == f"Cannot write {missing}: the folder does not exist."

    with pytest.raises(ExportError) as error:
        write_xlsx(tmp_path, COLUMNS, [])
    assert "it is a folder" in str(error.value)

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        # Whoever may write anywhere (root) still may not create files in /sys.
        folder = locked if not os.access(locked, os.W_OK) else Path("/sys")
        with pytest.raises(ExportError) as error:
            write_xlsx(folder / "crm-export-test.xlsx", COLUMNS, [(1, "Ana", None, None, None, None)])
        assert str(error.value) == f"Cannot write {folder / 'crm-export-test.xlsx'}: permission denied."
        assert not (folder / "crm-export-test.xlsx").exists()
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)

    i18n.set_language("es")
    with pytest.raises(ExportError) as error:
        write_xlsx(missing, COLUMNS, [])
    assert str(error.value) == f"No se puede escribir {missing}: la carpeta no existe."


def test_a_failure_while_writing_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "openpyxl-temp"))
    (tmp_path / "openpyxl-temp").mkdir()
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"the previous export")

    def broken_rows():
        yield (1, "Ana", None, None, None, None)
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        write_xlsx(target, COLUMNS, broken_rows())
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["openpyxl-temp", "report.xlsx"]
    assert list((tmp_path / "openpyxl-temp").iterdir()) == []


def test_new_file_gets_ordinary_permissions(tmp_path):
    target = tmp_path / "shared.xlsx"
    write_xlsx(target, COLUMNS, [])
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


# --- printable text and HTML --------------------------------------------------------


def test_text_report_aligns_columns_and_counts_rows():
    columns = [Column("number", "Number", INTEGER, 6), Column("name", "Client", TEXT, 12),
               Column("due", "Next contact date", DATE, 10)]
    text = render_text("Clients", columns, [
        (7, "Ana", dt.date(2026, 12, 31)),
        (1234, "A name far too long for it", None),
        (5, "multi\nline\x07", None),
    ])
    lines = text.splitlines()
    assert lines[0] == "Clients"
    header = lines[3]
    assert header.split() == ["Number", "Client", "Next", "contact", "date"]
    assert lines[5].startswith("     7  Ana") and "2026-12-31" in lines[5]
    assert lines[6].startswith("  1234  A name far …")
    assert lines[7].startswith("     5  multi line")
    assert lines[-1] == "3 rows"
    starts = {line.index("2026-12-31") for line in lines if "2026-12-31" in line}
    assert starts == {header.index("Next contact date")}


def test_text_report_in_spanish():
    i18n.set_language("es")
    text = render_text("Oportunidades", [Column("done", "Done", BOOLEAN), Column("d", "Created", DATE)],
                       [(True, dt.date(2026, 1, 5))])
    assert "Sí" in text and "05/01/2026" in text
    assert text.splitlines()[-1] == "1 fila"


def test_html_escapes_every_value():
    html = render_html("<Report & co>", [Column("name", "Client", TEXT), Column("n", "Number", INTEGER)], [
        ("<script>alert(1)</script>", 3),
        ('[bold]"quoted" & \'single\'', None),
    ])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[bold]&quot;quoted&quot; &amp; &#x27;single&#x27;" in html
    assert "<title>&lt;Report &amp; co&gt;</title>" in html
    assert '<td class="number">3</td>' in html
    assert "2 rows" in html
