"""analysis.xlsxfile, the streaming XLSX writer: what is written reads back with openpyxl."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from analysis.xlsxfile import Book, Indented, column_letter


def test_column_letters() -> None:
    letters = [column_letter(i) for i in (1, 26, 27, 52, 53, 702, 703)]
    assert letters == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_values_styles_and_layout_read_back(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    book = Book(path)
    ws = book.sheet("Data", widths=[10, 20, 8, 8, 8], formats=[None, None, "0.00", "0.0%", "0"])
    ws.header(["id", "text", "mean", "share", "n"])
    ws.row(["U1", "  spaces & <tags> \"quotes\"", 4.125, 0.25, 7])
    ws.row(["U2", "bell\x07 gone; æøå ▲", None, 1e-05, True])
    ws.row([Indented("child", 2), None, 3, None, 12345678901])
    other = book.sheet("Second", widths=[12], formats=[None])
    other.header(["only"])
    book.save()

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Data", "Second"]
    data = wb["Data"]
    values = [[c.value for c in row] for row in data.iter_rows()]
    assert values == [
        ["id", "text", "mean", "share", "n"],
        ["U1", '  spaces & <tags> "quotes"', 4.125, 0.25, 7],
        ["U2", "bell gone; æøå ▲", None, 1e-05, True],
        ["child", None, 3, None, 12345678901],
    ]
    assert data["A1"].font.b and data["A1"].fill.fgColor.rgb.endswith("DDE3EA")
    assert not data["A2"].font.b
    formats = (data["C2"].number_format, data["D2"].number_format, data["E2"].number_format)
    assert formats == ("0.00", "0.0%", "0")
    assert data["E3"].number_format == "General"  # a bool keeps no number format
    assert data["A4"].alignment.indent == 2 and data["A2"].alignment.indent == 0
    assert data.freeze_panes == "A2" and data.auto_filter.ref == "A1:E4"
    assert data.column_dimensions["B"].width == 20
    assert wb["Second"].max_row == 1 and wb["Second"]["A1"].value == "only"


def test_rows_must_match_the_header(tmp_path: Path) -> None:
    book = Book(tmp_path / "t.xlsx")
    ws = book.sheet("S", widths=[5, 5], formats=[None, None])
    with pytest.raises(ValueError, match="a row of 3 cells, expected 2"):
        ws.row(["a", "b", "c"])
    with pytest.raises(TypeError, match="cannot write a dict"):
        ws.row([{}, "b"])
    book.close()


def test_a_formula_looking_text_stays_text_in_both_writers(tmp_path: Path) -> None:
    """Free text such as an override reason ``=HYPERLINK(...)`` must never become a live formula."""
    import openpyxl

    from analysis.xlsxfile import Book, defuse_formulas

    evil = '=HYPERLINK("http://evil.example","klik")'
    wb = openpyxl.Workbook()
    wb.active.append([evil, "+1", "@SUM(A1)", "ordinary"])
    path = tmp_path / "memo.xlsx"
    defuse_formulas(wb).save(path)
    back = openpyxl.load_workbook(path).active
    assert [c.data_type for c in back[1]] == ["s", "s", "s", "s"]
    assert back["A1"].value == evil

    book = Book(tmp_path / "report.xlsx")
    sheet = book.sheet("Overview", widths=[20], formats=[None])
    sheet.header(["unit"])
    sheet.row([evil])
    book.save()
    read = openpyxl.load_workbook(tmp_path / "report.xlsx").active
    assert read["A2"].value == evil and read["A2"].data_type == "s"


def test_nan_and_infinity_are_written_as_empty_cells(tmp_path: Path) -> None:
    import numpy as np

    from analysis.xlsxfile import defuse_formulas

    book = Book(tmp_path / "report.xlsx")
    sheet = book.sheet("Overview", widths=[10, 10, 10, 10, 10], formats=[None, "0.00", None, None, None])
    sheet.header(["a", "b", "c", "d", "e"])
    sheet.row([float("nan"), float("inf"), Indented(float("-inf"), 1), np.float64("nan"), 2.5])
    book.save()
    read = openpyxl.load_workbook(tmp_path / "report.xlsx").active
    assert [c.value for c in read[2]] == [None, None, None, None, 2.5]

    wb = openpyxl.Workbook()
    wb.active.append([float("nan"), float("inf"), 1.5])
    defuse_formulas(wb).save(tmp_path / "memo.xlsx")
    back = openpyxl.load_workbook(tmp_path / "memo.xlsx").active
    assert [c.value for c in back[1]] == [None, None, 1.5]
