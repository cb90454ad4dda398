"""Household import: encodings, formats, header mapping, refusals that write nothing, merging."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from ivr.db import Database
from ivr.db.models import Colour, Household, Resident, StatusChange
from ivr.households.bench import write_household_csv
from ivr.households.problems import HouseholdFileError
from tests.households.helpers import counts, phones_by_room, run_import, write_text

CHINESE = (
    "社区,楼号,单元,房号,联系电话,备用电话,姓名,状态,标签,备注\n"
    "阳光社区,3号楼,2单元,301室,138 0013 8000 / 13900139000,,张三、李四,绿,独居老人,三楼\n"
    "阳光社区,3,2,302,13700137000,010-6552 9988,王五,橙色,,\n"
)


@pytest.mark.parametrize(
    "encoding, reported",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_chinese_file_in_every_encoding(
    db: Database, tmp_path: Path, encoding: str, reported: str
) -> None:
    text = CHINESE
    if encoding == "gb18030":  # a name GBK cannot hold: only GB18030 has it
        text = text.replace("王五", "王㐀")
    if encoding == "utf-16":  # Excel's "Unicode text" is tab-separated
        text = text.replace(",", "\t")
    result = run_import(db, write_text(tmp_path / "list.csv", text, encoding))

    assert (result.encoding, result.created, result.rows) == (reported, 2, 2)
    assert phones_by_room(db) == {
        "301": ["+8613800138000", "+8613900139000"],
        "302": ["+8613700137000", "+861065529988"],
    }
    with db.session() as session:
        names = session.scalars(select(Resident.name).order_by(Resident.id)).all()
        first = session.scalars(select(Household).where(Household.room == "301")).one()
        assert first.unit.name == "2" and first.unit.building.name == "3"
        assert first.unit.building.committee.name == "阳光社区"
        assert first.status is Colour.GREEN and first.notes == "三楼"
        assert [t.name for t in first.tags] == ["独居老人"]
    assert names == ["张三", "李四", "王㐀" if encoding == "gb18030" else "王五"]


def test_xlsx_with_numbers_as_numbers_and_dates(db: Database, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Building", "Unit", "Room", "Mobile", "Status", "Quarantine start"])
    sheet.append([12, 1, 101, 13800138000, "orange", __import__("datetime").date(2026, 11, 20)])
    sheet.append([None, None, None, None, None, None])  # a blank row in the middle
    sheet.append([12, 1, 102, 13800138001.0, "Green", None])
    path = tmp_path / "list.xlsx"
    workbook.save(path)

    result = run_import(db, path)

    assert (result.encoding, result.created) == ("xlsx", 2)
    assert phones_by_room(db) == {"101": ["+8613800138000"], "102": ["+8613800138001"]}
    with db.session() as session:
        orange = session.scalars(select(Household).where(Household.room == "101")).one()
        assert orange.quarantine_start.isoformat() == "2026-11-20"
        assert orange.status is Colour.ORANGE


def test_bad_rows_are_all_reported_with_row_and_column_and_nothing_is_written(
    any_db: Database, tmp_path: Path
) -> None:
    run_import(
        any_db, write_text(tmp_path / "first.csv", "building,room,phone\n1,101,13800138000\n")
    )
    before = counts(any_db)
    bad = write_text(
        tmp_path / "bad.csv",
        "building,room,phone,status,quarantine_start\n"
        "1,101,13800138000,green,\n"  # fine (an update)
        "1,,13800138001,green,\n"  # no room
        "1,103,138-0013-800x,green,\n"  # letters in the number
        "1,104,13800138004,purple,\n"  # unknown colour
        "1,105,13800138005,orange,next week\n"  # not a date
        f"{'9' * 61},106,13800138006,green,\n",  # building name too long for the column
    )

    with pytest.raises(HouseholdFileError) as caught:
        run_import(any_db, bad)

    found = {(p.row, p.column) for p in caught.value.details}
    assert found == {
        (3, "room"),
        (4, "phone"),
        (5, "status"),
        (6, "quarantine_start"),
        (7, "building"),
    }
    text = str(caught.value)
    assert "bad.csv: 5 problems, nothing was imported" in text
    assert "bad.csv, row 4, column 'phone' (C)" in text
    assert "13800138" not in text  # numbers are masked in messages
    assert counts(any_db) == before


def test_duplicates_in_the_file_and_against_the_database_are_refused(
    any_db: Database, tmp_path: Path
) -> None:
    run_import(any_db, write_text(tmp_path / "a.csv", "building,room,phone\n7,701,13800138000\n"))
    before = counts(any_db)
    dupes = write_text(
        tmp_path / "dupes.csv",
        "building,room,phone\n"
        "1,101,13900139000\n"
        "1号楼,101室,13900139001\n"  # the same flat written another way
        "1,102,13900139000\n"  # the number of row 2 again
        "1,103,+86 138 0013 8000\n",  # already stored on 7-701, which the file does not list
    )

    with pytest.raises(HouseholdFileError) as caught:
        run_import(any_db, dupes)

    messages = {p.row: p.message for p in caught.value.details}
    assert set(messages) == {3, 4, 5}
    assert "also on row 2" in messages[3]
    assert "also on row 2" in messages[4]
    assert "already stored on household 7-701" in messages[5]
    assert counts(any_db) == before

    allowed = write_text(tmp_path / "ok.csv", "building,room,phone\n1,103,13800138000\n")
    result = run_import(any_db, allowed, allow_shared_phones=True)
    assert result.created == 1 and "allowed by --allow-shared-phones" in result.warnings[0]


def test_reimport_updates_instead_of_duplicating(any_db: Database, tmp_path: Path) -> None:
    first = write_text(
        tmp_path / "list.csv",
        "building,unit,room,phone,name,status,tags,notes\n"
        "1,1,101,13800138000,Ann,green,a,first\n"
        "1,1,102,13800138001,Bo,yellow,,\n",
    )
    assert run_import(any_db, first).created == 2
    again = run_import(any_db, first)
    assert (again.created, again.updated, again.unchanged, again.status_changes) == (0, 0, 2, 0)

    changed = write_text(
        tmp_path / "list.csv",
        "building,unit,room,phone,name,status,tags,notes\n"
        "1,1,101,13900139000 / 13800138000,Ann,orange,b,second\n"
        "1,1,102,13800138001,Bo,,,\n"  # empty status: the stored colour stays
        "1,1,103,,,,,\n",
    )
    result = run_import(any_db, changed)

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert any("1 households have no phone number (rows 4)" in w for w in result.warnings)
    assert phones_by_room(any_db) == {
        "101": ["+8613900139000", "+8613800138000"],
        "102": ["+8613800138001"],
    }
    with any_db.session() as session:
        rooms = {h.room: h for h in session.scalars(select(Household))}
        assert rooms["101"].status is Colour.ORANGE and rooms["101"].notes == "second"
        assert [t.name for t in rooms["101"].tags] == ["b"]
        assert rooms["102"].status is Colour.YELLOW
        assert rooms["103"].status is Colour.BLUE  # new, no colour given: not reached yet
        history = session.execute(
            select(StatusChange.from_status, StatusChange.to_status, StatusChange.reason)
            .where(StatusChange.household_id == rooms["101"].id)
            .order_by(StatusChange.id)
        ).all()
    assert history == [
        (None, Colour.GREEN, "import of list.csv, row 2"),
        (Colour.GREEN, Colour.ORANGE, "import of list.csv, row 2"),
    ]


def test_columns_the_file_lacks_are_left_alone(db: Database, tmp_path: Path) -> None:
    run_import(db, write_text(tmp_path / "a.csv", "楼号,房号,电话,备注\n1,101,13800138000,keep\n"))
    result = run_import(db, write_text(tmp_path / "b.csv", "楼号,房号,状态\n1,101,红\n"))

    assert result.updated == 1
    assert any("no phone column" in w for w in result.warnings)
    assert phones_by_room(db) == {"101": ["+8613800138000"]}
    with db.session() as session:
        household = session.scalars(select(Household)).one()
        assert (household.status, household.notes) == (Colour.RED, "keep")


def test_explicit_map_and_unknown_columns(db: Database, tmp_path: Path) -> None:
    path = write_text(tmp_path / "odd.csv", "Blk,Door,Cell,Hobby\n5,501,13800138000,chess\n")

    with pytest.raises(HouseholdFileError, match="no building column"):
        run_import(db, path)
    result = run_import(db, path, column_map={"Blk": "building", "Door": "room", "C": "phone"})

    assert result.created == 1
    assert any("column 'Hobby' (D) is not used" in w for w in result.warnings)
    assert phones_by_room(db) == {"501": ["+8613800138000"]}


def test_dry_run_writes_nothing(db: Database, tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "building,room,phone\n1,101,13800138000\n")
    result = run_import(db, path, dry_run=True)
    assert (result.dry_run, result.created) == (True, 1)
    assert counts(db) == (0, 0, 0)


def test_unreadable_files_say_why(db: Database, tmp_path: Path) -> None:
    damaged = "building,room,name\n" + "".join(f"1,{i},张三李四\n" for i in range(100, 104))
    data = damaged.encode("utf-8") + b"1,105,\xff\xfe\n"
    (tmp_path / "damaged.csv").write_bytes(data)
    with pytest.raises(HouseholdFileError, match=r"damaged.csv: .*byte 0xff at line 6"):
        run_import(db, tmp_path / "damaged.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(HouseholdFileError, match=r"save it as \.xlsx"):
        run_import(db, tmp_path / "old.xls")
    with pytest.raises(HouseholdFileError, match="empty"):
        run_import(db, write_text(tmp_path / "empty.csv", "\n\n"))


def test_a_file_of_50000_rows(any_db: Database, tmp_path: Path) -> None:
    path = write_household_csv(tmp_path / "street.csv", 50_000, seed=3)

    result = run_import(any_db, path)

    assert (result.rows, result.created) == (50_000, 50_000)
    households, phones, history = counts(any_db)
    assert households == history == 50_000
    assert phones > 50_000
    again = run_import(any_db, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 50_000)


def test_xlsx_problems_name_the_spreadsheet_row(db: Database, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["B1"], sheet["C1"] = "楼号", "房号", "手机"
    sheet["A2"], sheet["B2"], sheet["C2"] = 1, 101, 13800138000
    sheet["A5"], sheet["B5"], sheet["C5"] = 1, 102, "1380013800x"  # rows 3 and 4 left empty
    path = tmp_path / "gaps.xlsx"
    workbook.save(path)

    with pytest.raises(HouseholdFileError) as caught:
        run_import(db, path)

    assert [(p.file, p.row, p.column, p.column_index) for p in caught.value.details] == [
        ("gaps.xlsx", 5, "手机", 2)
    ]
    assert counts(db) == (0, 0, 0)
