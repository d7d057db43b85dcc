"""The one renderer of offline pages: the policy allows exactly the inline scripts a page carries,
figure JSON cannot close its block, and text from the data is escaped."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import plotly.graph_objects as go

from rivalscope.report.page import (
    LOADER_JS,
    environment,
    figure_json,
    plotly_js,
    render,
    script_hash,
    write,
)

META_POLICY = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def test_the_policy_allows_exactly_the_scripts_the_page_carries() -> None:
    page = render("rivalscope.report", "page.html.j2")
    found = META_POLICY.search(page.html)
    assert found is not None
    policy = html.unescape(found.group(1))
    carried = INLINE_SCRIPT.findall(page.html)
    assert carried == [plotly_js(), LOADER_JS] == list(page.scripts)
    allowed = re.findall(r"'sha256-[A-Za-z0-9+/=]+'", policy)
    assert allowed == [script_hash(script) for script in carried]
    assert policy.startswith("default-src 'none'; script-src 'sha256-")
    assert page.served_policy == f"{policy}; base-uri 'none'; frame-ancestors 'none'; " + (
        "form-action 'none'"
    )


def test_figure_json_cannot_close_its_script_block() -> None:
    name = "</script><script>alert(1)</script>"
    text = figure_json(go.Figure(go.Scatter(x=[1], y=[2], name=name)))
    assert "<" not in text and ">" not in text
    assert json.loads(text)["data"][0]["name"] == name


def test_text_from_the_data_is_escaped() -> None:
    template = environment("rivalscope.simulate").from_string("<td>{{ note }}</td>")
    assert template.render(note="<img src=x onerror=alert(1)>") == (
        "<td>&lt;img src=x onerror=alert(1)&gt;</td>"
    )


def test_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    target.write_text("old", encoding="utf-8")
    assert write("<!doctype html>", target) == target
    assert target.read_text(encoding="utf-8") == "<!doctype html>"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_actor_columns_show_display_names_with_the_id_in_the_tooltip() -> None:
    import pyarrow as pa

    from rivalscope.analysis.profile import ACTOR_COLUMNS
    from rivalscope.report.html import actor_cells, actor_table

    names = {"AFG_REPUBLIC": "Islamic Republic of Afghanistan", "X<b>": "<i>Evil</i> & co"}
    rows = pa.table(
        {
            "side": ["AFG_REPUBLIC", "X<b>"],
            "side_name": ["Islamic Republic of Afghanistan", "<i>Evil</i> & co"],
            "source": ["ucdp", "AFG_REPUBLIC"],
            "target": ["X<b>", "AFG_REPUBLIC"],
            "target_name": ["<i>Evil</i> & co", "Islamic Republic of Afghanistan"],
            "events": [1200, 3],
        }
    )
    shown = actor_table("t", rows, lambda actor_id: names.get(actor_id, actor_id))
    assert shown["columns"] == ["side", "source", "target", "events"], "each name shows once"
    template = environment("rivalscope.report").from_string(
        '{% import "blocks.html.j2" as blocks %}{{ blocks.table(t) }}'
    )
    rendered = template.render(t=shown)
    assert '<td class="nowrap">1,200</td>' in rendered, "short cells (numbers, dates) never break"
    page = rendered.replace(' class="nowrap"', "")
    republic = (
        '<span class="actor-name" title="AFG_REPUBLIC">Islamic Republic of Afghanistan</span>'
    )
    evil = '<span class="actor-name" title="X&lt;b&gt;">&lt;i&gt;Evil&lt;/i&gt; &amp; co</span>'
    assert f"<td>{republic}</td><td>ucdp</td><td>{evil}</td><td>1,200</td>" in page, (
        "a column of ACTOR_COLUMNS, or with a _name companion, shows names; data stays escaped"
    )
    assert f"<td>{evil}</td><td>AFG_REPUBLIC</td><td>{republic}</td>" in page, (
        "a column not of actors shows its value as it is"
    )
    cell = actor_cells(lambda actor_id: names.get(actor_id, actor_id))
    assert {"side", "from_actor", "to_actor"} <= ACTOR_COLUMNS
    for column in ACTOR_COLUMNS:
        assert cell("AFG_REPUBLIC", column) == republic, column
    assert cell("AFG_REPUBLIC", "source") == "AFG_REPUBLIC"
    assert cell(["AFG_REPUBLIC", "UNKNOWN"], "ally") == (
        f'{republic}, <span class="actor-name" title="UNKNOWN">UNKNOWN</span>'
    )
    assert cell(None, "side") == ""
