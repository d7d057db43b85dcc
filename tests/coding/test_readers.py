"""Reading reports from text, CSV and JSON Lines; errors name the file, row and column."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from rivalscope.coding.readers import ReadStats, read_passages
from rivalscope.errors import InputError


def test_plain_text_is_one_report_per_file_or_split(tmp_path: Path) -> None:
    path = tmp_path / "field-notes.txt"
    path.write_text("First note.\nStill first.\n\nSecond note.\n", encoding="utf-8")
    [whole] = read_passages([path], report_date=dt.date(2020, 1, 2))
    assert whole.text == "First note.\nStill first.\n\nSecond note."
    assert (whole.report_date, whole.input_id, whole.file) == (
        dt.date(2020, 1, 2),
        "field-notes",
        str(path),
    )
    parts = list(read_passages([path], split="paragraph"))
    assert [p.text for p in parts] == ["First note.\nStill first.", "Second note."]
    assert [p.input_id for p in parts] == ["field-notes:1", "field-notes:2"]
    assert [p.text for p in read_passages([path], split="line")] == [
        "First note.",
        "Still first.",
        "Second note.",
    ]


def test_csv_with_text_date_and_id_columns(tmp_path: Path) -> None:
    path = tmp_path / "reports.csv"
    path.write_text(
        'id,published,body\nA7,2021-10-08,"Taliban fighters, in Kunar, clashed."\n'
        "A8,,\nA9,8 October 2021,Another.\n",
        encoding="utf-8",
    )
    stats = ReadStats()
    passages = list(
        read_passages(
            [path],
            text_column="body",
            date_column="published",
            report_date=dt.date(2000, 1, 1),
            stats=stats,
        )
    )
    assert [(p.input_id, p.row, p.report_date) for p in passages] == [
        ("A7", 1, dt.date(2021, 10, 8)),
        ("A9", 3, dt.date(2021, 10, 8)),
    ]
    assert passages[0].text == "Taliban fighters, in Kunar, clashed."
    assert (stats.files, stats.passages, stats.empty) == (1, 2, 1)


def test_csv_finds_a_date_column_by_name(tmp_path: Path) -> None:
    path = tmp_path / "r.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("text,report_date\nSome report.,2019-09-28\n")
    [passage] = read_passages([path])
    assert passage.report_date == dt.date(2019, 9, 28)


def test_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    rows = [{"id": 5, "text": "One.", "date": "2020-02-02"}, {"text": "Two."}, {"text": ""}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    passages = list(read_passages([path], report_date=dt.date(2020, 1, 1)))
    assert [(p.input_id, p.text, p.report_date, p.row) for p in passages] == [
        ("5", "One.", dt.date(2020, 2, 2), 1),
        ("2", "Two.", dt.date(2020, 1, 1), 2),
    ]


@pytest.mark.parametrize(
    ("name", "content", "options", "message"),
    [
        (
            "a.csv",
            "title,date\nx,2020-01-01\n",
            {},
            r"a.csv: no text column 'text' \(columns: title, date\)",
        ),
        (
            "b.csv",
            "text,date\nok,2020-01-01\nbad,31/31/2020\n",
            {},
            r"b.csv: row 2: column date: '31/31/2020' is not a date",
        ),
        (
            "c.csv",
            "text,day\nok,2020-01-01\n",
            {"date_column": "when"},
            r"c.csv: no date column 'when'",
        ),
        ("d.jsonl", '{"text": "ok"}\n{"text": \n', {}, r"d.jsonl: line 2: not JSON"),
        ("e.jsonl", '{"body": "ok"}\n', {}, r"e.jsonl: line 1: field text: missing"),
        (
            "f.jsonl",
            '{"text": "ok", "date": "someday"}\n',
            {},
            r"f.jsonl: line 1: field date: 'someday' is not a date",
        ),
        (
            "g.csv",
            "text,date\nok,2020-01-01,extra\n",
            {},
            r"g.csv: row 1: 3 fields where the header has 2",
        ),
        ("h.csv", "", {}, r"h.csv: empty file"),
    ],
)
def test_errors_name_file_row_and_column(
    tmp_path: Path, name: str, content: str, options: dict[str, str], message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        list(read_passages([path], **options))


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere\.txt: no such file"):
        list(read_passages([tmp_path / "nowhere.txt"]))
    path = tmp_path / "latin.txt"
    path.write_bytes("Kabul caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin\.txt: not UTF-8"):
        list(read_passages([path]))
