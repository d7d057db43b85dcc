"""Parsing ``--db``."""

from __future__ import annotations

import pytest

from rivalscope.errors import InputError
from rivalscope.store.urls import is_url, parse, parse_conf


@pytest.mark.parametrize(
    ("db", "kind", "location", "data"),
    [
        (None, "duckdb", ":memory:", None),
        ("store.duckdb", "duckdb", "store.duckdb", None),
        ("postgresql://u:p@h:5/db", "postgres", "postgresql://u:p@h:5/db", None),
        ("postgres://h/db", "postgres", "postgres://h/db", None),
        ("spark:local[2]?data=/x/y", "spark", "local[2]", "/x/y"),
        ("spark://master:7077?data=hdfs:///e", "spark", "spark://master:7077", "hdfs:///e"),
        ("spark:yarn", "spark", "yarn", None),
    ],
)
def test_parse(db: str | None, kind: str, location: str, data: str | None) -> None:
    target = parse(db)
    assert (target.kind, target.location, target.data) == (kind, location, data)
    assert is_url(db) == (kind != "duckdb")


def test_password_is_masked() -> None:
    assert parse("postgresql://ann:s3cret@db.example/rs").shown == (
        "postgresql://ann:***@db.example/rs"
    )


def test_spark_data_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIVALSCOPE_SPARK_DATA", "/exports/all")
    assert parse("spark:local[4]").data == "/exports/all"


def test_conf() -> None:
    assert parse_conf(["a.b=1", " c = x=y "]) == {"a.b": "1", "c": "x=y"}
    assert parse("spark:local", spark_conf={"a": "1"}).conf == {"a": "1"}
    with pytest.raises(InputError, match="key=value"):
        parse_conf(["nothing"])


@pytest.mark.parametrize("db", ["spark:", "spark:local?path=/x"])
def test_bad_spark_urls(db: str) -> None:
    with pytest.raises(InputError):
        parse(db)


def test_conf_needs_spark() -> None:
    with pytest.raises(InputError, match="spark"):
        parse("x.duckdb", spark_conf={"a": "1"})
