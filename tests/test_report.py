"""The report's data and HTML without a browser: timeline, escaping, caps, the CLI."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from vaultctl import verify
from vaultctl.cli import cli
from vaultctl.present import report
from vaultctl.verify.timeline import Step, Timeline

from .story import Story, compliant_story, setup, t
from .test_report_browser import IMG, SCRIPT, hostile_story, write_vault


def build(story: Story) -> tuple[verify.Report, Timeline]:
    timeline = Timeline()
    rep = verify.run(((line, True) for line in story.lines), observe=timeline)
    return rep, timeline


def page_of(story: Story, lang: str = "en") -> str:
    rep, timeline = build(story)
    return report.site_page(report.Site(rep, timeline, []), lang)


def exported(vault: Path, tmp_path: Path, *names: str) -> Path:
    """A folder of bundles of ``vault``, one per name."""
    bundles = tmp_path / "b"
    bundles.mkdir()
    for name in names:
        result = CliRunner().invoke(
            cli, ["--vault", str(vault), "export", str(bundles / name)]
        )
        assert result.exit_code == 0, result.output
    return bundles


def zh_audit_page(vault: Path, tmp_path: Path) -> str:
    """The Chinese audit page of one bundle of ``vault``."""
    out = tmp_path / "a.html"
    CliRunner().invoke(
        cli,
        [
            "--lang",
            "zh",
            "audit",
            str(exported(vault, tmp_path, "S")),
            "--html",
            str(out),
        ],
    )
    return out.read_text("utf-8")


def test_stock_steps_follow_the_packet(tmp_path: Path) -> None:
    _, timeline = build(compliant_story(tmp_path))
    steps = timeline.lanes["stock"]["语文 S-0607-AM"]
    assert all(isinstance(s, Step) for s in steps)
    # receipt: 1 paper; issue: none; return: 1 answer sheet; dispatch: none
    assert [(s.value, s.extra) for s in steps] == [(1, 0), (0, 0), (0, 1), (0, 0)]


def test_lanes_of_the_compliant_day(tmp_path: Path) -> None:
    _, timeline = build(compliant_story(tmp_path))
    shifts = timeline.lanes["duty"]["shifts"]
    # names with the ids (issue 23: lanes showed ids only)
    assert [s.label for s in shifts] == ["张伟 O-003", "陈静 O-005", "张伟 O-003"]
    assert [s.kind for s in shifts] == ["O-003", "O-005", "O-003"]  # colours
    assert shifts[-1].end is not None  # the shift ended
    holders = [s.label for s in timeline.lanes["keys"]["K-D2"]]
    assert holders == ["张伟 O-003", "陈静 O-005", "张伟 O-003"]
    opened = timeline.lanes["open"]
    assert set(opened) == {"door:D1", "cabinet:C1"}
    assert opened["cabinet:C1"][0].title == "cabinet:C1 · O-001 O-002"


def test_every_ledger_text_is_escaped(tmp_path: Path) -> None:
    html = page_of(hostile_story(tmp_path))
    assert "<script" not in html and "<img" not in html
    assert "onerror=" not in html.replace("onerror=&quot;", "")
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=&quot;" in html
    assert SCRIPT not in html and IMG not in html


def test_findings_are_capped_and_every_mark_has_a_target(tmp_path: Path) -> None:
    story = Story(tmp_path)
    setup(story)
    for i in range(report.MAX_FINDINGS + 20):  # entries without an approver
        at = t(f"{9 + i // 60:02d}:{i % 60:02d}")
        story.add("access", {"action": "enter", "person": f"p{i}", "room": "R1"},
                  at, ("O-002", "O-003"))  # fmt: skip
    timeline = Timeline()
    lines = [(line, True) for line in story.lines]
    rep = verify.run(lines, observe=timeline, cap=10**6)  # NOTE: verify keeps all
    html = report.site_page(report.Site(rep, timeline, []), "en")
    rows = re.findall(r'<tr id="(f-\d+)"', html)
    assert len(rows) == report.MAX_FINDINGS < len(rep.findings)
    assert 'id="f-more"' in html
    assert f"and {len(rep.findings) - report.MAX_FINDINGS} more" in html
    targets = set(re.findall(r'<a href="#([^"]+)"', html))
    ids = set(re.findall(r' id="([^"]+)"', html))
    assert targets and targets <= ids
    assert html.count("<circle") < 400  # NOTE: dense findings are binned
    capped, timeline = build(story)  # verify keeps 100 per rule, counts the rest
    html = report.site_page(report.Site(capped, timeline, []), "en")
    assert len(capped.findings) < len(rep.findings)
    assert f"and {len(rep.findings) - len(capped.findings)} more" in html
    total = len(rep.findings)
    assert f"{total} error(s)" in html


def test_the_page_is_self_contained() -> None:
    html = report.page("t", "<main></main>", "en", "console.log(1)")
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    digest = base64.b64encode(hashlib.sha256(b"console.log(1)").digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp.group(1)
    assert "default-src 'none'" in csp.group(1) and "img-src data:" in csp.group(1)
    assert "script-src 'none'" in report.page("t", "", "en")
    assert "@page{size:A4" in html.replace(" ", "")


def test_report_command_uses_verify_anchors_and_exit(tmp_path: Path) -> None:
    vault = write_vault(compliant_story(tmp_path), tmp_path / "v")
    runner = CliRunner()
    base = ["--vault", str(vault)]
    checked = runner.invoke(cli, [*base, "verify", "--json"])
    code = json.loads(checked.stdout)["code"].replace(" · ", ":")
    out = tmp_path / "r.html"
    result = runner.invoke(cli, [*base, "report", "--html", str(out), "--code", code])
    assert result.exit_code == checked.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert re.search(r"<td>code [^<]+</td><td>\d+</td><td>[^<]+</td><td>yes</td>", html)
    (tmp_path / "o").mkdir()
    other = write_vault(compliant_story(tmp_path / "o"), tmp_path / "o" / "v")
    theirs = json.loads(
        runner.invoke(cli, ["--vault", str(other), "verify", "--json"]).stdout
    )
    wrong = theirs["code"].replace(" · ", ":")  # same size, another log
    assert wrong != code
    bad = runner.invoke(cli, [*base, "report", "--html", str(out), "--code", wrong])
    assert bad.exit_code == verify.EXIT_INTEGRITY
    assert "<td>NO</td>" in out.read_text("utf-8")


def test_chinese_from_the_locale(tmp_path: Path) -> None:
    vault = write_vault(compliant_story(tmp_path), tmp_path / "v")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        cli,
        ["--vault", str(vault), "report", "--html", str(out)],
        env={"LANG": "zh_CN.UTF-8"},
    )
    assert result.exit_code == 0
    html = out.read_text("utf-8")
    assert '<html lang="zh-CN">' in html and "值班班次" in html
    assert '"Noto Sans CJK SC"' in html


@pytest.mark.parametrize("fmt", ["--json", "--csv"])
def test_audit_html_leaves_stdout_alone(tmp_path: Path, fmt: str) -> None:
    vault = write_vault(compliant_story(tmp_path), tmp_path / "v")
    bundles = exported(vault, tmp_path, "S")
    runner = CliRunner()
    plain = runner.invoke(cli, ["audit", str(bundles), "--jobs", "1", fmt])
    out = tmp_path / "a.html"
    both = runner.invoke(
        cli, ["audit", str(bundles), "--jobs", "1", fmt, "--html", str(out)]
    )
    assert both.exit_code == plain.exit_code == 0
    assert both.stdout == plain.stdout
    html = out.read_text("utf-8")
    assert 'id="site-' in html and '<svg class="spark"' in html


def test_audit_html_draws_only_what_its_bounded_workers_verified(
    tmp_path: Path, monkeypatch
) -> None:
    """Issue 22: the page used to verify every bundle again in a plain process
    pool, drawing a bundle whose bounded worker had been killed or timed out."""
    from vaultctl.centre import audit

    vault = write_vault(compliant_story(tmp_path), tmp_path / "v")
    bundles = exported(vault, tmp_path, "A", "B")
    runner = CliRunner()
    monkeypatch.setenv(audit.KILL_ENV, "B.vaultctl.tar.gz")
    out = tmp_path / "a.html"
    result = runner.invoke(
        cli, ["audit", str(bundles), "--jobs", "2", "--json", "--html", str(out)]
    )
    rows = {r["file"]: r["status"] for r in json.loads(result.stdout)}
    assert rows == {"A.vaultctl.tar.gz": "ok", "B.vaultctl.tar.gz": "failed"}
    html = out.read_text("utf-8")
    assert html.count('<details class="site"') == 1
    assert "_section" not in result.stdout


def test_a_dense_lane_is_binned(tmp_path: Path) -> None:
    story = Story(tmp_path)
    setup(story)
    for i in range(900):  # the camera flips every minute: 900 spans in one row
        at = t(f"{9 + i // 60:02d}:{i % 60:02d}")
        action = "off" if i % 2 else "on"
        story.add("cctv", {"action": action, "camera": "CAM-1"}, at, ("O-002", "O-003"))
    html = page_of(story)
    lane = re.search(r'<g class="lane-cctv">.*?</g>', html)
    assert lane is not None
    assert lane.group().count("<rect") < 300  # NOTE: one per 4-pixel bin at most
    assert re.search(
        r"<title>06-06 \d\d:\d\d (on|off) \d+% · (on|off) \d+%", lane.group()
    )


def test_an_unwritable_report_is_one_clear_error(tmp_path: Path) -> None:
    vault = write_vault(compliant_story(tmp_path), tmp_path / "v")
    out = tmp_path / "missing" / "r.html"
    result = CliRunner().invoke(
        cli, ["--vault", str(vault), "report", "--html", str(out)]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"vaultctl: error: {out}: cannot write the report (No such file or directory)\n"
    )


def test_the_sparkline_counts_lines_by_their_own_time(tmp_path: Path) -> None:
    from vaultctl.centre.audit import _counted

    story = compliant_story(tmp_path)
    story.add("note", {"text": ',"ts":"1999-01-01'}, t("14:00", "2026-06-07"),
              ("O-002", "O-003"))  # fmt: skip
    days: Counter[str] = Counter()
    lines = [(line, True) for line in story.lines] + [(b"garbage", True)]
    assert list(_counted(lines, days)) == lines
    expected = Counter(json.loads(line)["ts"][:10] for line in story.lines)
    assert days == expected and "1999-01-01" not in days


def test_long_row_labels_are_cut_by_display_width() -> None:
    from vaultctl.present.timeline_svg import clip

    assert clip("K-D1", 26) == "K-D1"
    assert clip("x" * 30, 26) == "x" * 25 + "…"
    assert clip("语文" * 10, 26) == "语文" * 6 + "…"  # two columns each


def test_a_one_day_report_says_which_day_and_names_the_sessions(
    tmp_path: Path,
) -> None:
    """Issue 23: a one-day axis showed `12` and `18` and no date; session bands
    carried their subject only in a tooltip."""
    story = Story(
        tmp_path,
        extra_toml="""
[[sessions]]
id = "S-0606-PM"
subject = "数学"
start = "2026-06-06T14:00"
end = "2026-06-06T16:00"
exam_rooms = { E01 = "O-101" }
""",
    )
    setup(story)
    story.add("note", {"text": "巡查"}, t("17:00"), ("O-003", "O-004"))
    vault = write_vault(story, tmp_path / "v")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        cli, ["--vault", str(vault), "report", "--html", str(out)]
    )
    assert result.exit_code in (0, 1), result.stderr
    svg = out.read_text("utf-8")
    assert re.search(r'class="axis"[^>]*>06-06</text>', svg)
    assert ">12:00</text>" in svg
    assert re.search(r'class="axis small session-label"[^>]*>[^<]*数学', svg)


def test_a_rule_off_by_default_is_not_called_relaxed(tmp_path: Path) -> None:
    """Issue 23: PATROL, off by default, was listed as 'relaxed'."""
    vault = write_vault(compliant_story(tmp_path), tmp_path / "v")
    out = tmp_path / "r.html"
    CliRunner().invoke(cli, ["--vault", str(vault), "report", "--html", str(out)])
    page = out.read_text("utf-8")
    relaxed = page.split("<ul class='relaxed'>", 1)[1].split("</ul>", 1)[0]
    assert "PATROL" not in relaxed
    assert "Off by default (the regulations do not ask for them): PATROL" in page


def test_the_chinese_page_names_doors_and_camera_states_in_chinese(
    tmp_path: Path,
) -> None:
    """Issue 23: `door:D1` and `on` were English on the Chinese page."""
    vault = write_vault(compliant_story(tmp_path), tmp_path / "v")
    out = tmp_path / "r.html"
    CliRunner().invoke(
        cli, ["--vault", str(vault), "--lang", "zh", "report", "--html", str(out)]
    )
    page = out.read_text("utf-8")
    assert ">门 D1<title>" in page and ">door:D1<" not in page
    assert 'class="in-bar"' in page and re.search(r'class="in-bar"[^>]*>开<', page)


def test_the_audit_page_is_signed_by_the_centre_not_the_site_head(
    tmp_path: Path,
) -> None:
    """Issue 23: the audit page's signature block said 考点主考."""
    vault = write_vault(compliant_story(tmp_path), tmp_path / "v")
    page = zh_audit_page(vault, tmp_path)
    sign = page.split('<section class="sign">', 1)[1]
    assert "考试中心审核人" in sign and "考点主考" not in sign


def test_a_packet_that_is_out_shows_who_has_it(tmp_path: Path) -> None:
    """Issue 23: packets out in an exam room showed as a gap."""
    _, timeline = build(compliant_story(tmp_path))
    [out] = timeline.lanes["stock"]["语文 S-0607-AM ⇢"]
    assert out.label == "E01 林晓燕 O-101"
    assert out.end is not None  # back at the return
    assert out.title == "P-E01 → E01 林晓燕 O-101"


def test_the_page_fits_a_phone(tmp_path: Path) -> None:
    """Issue 23: on a phone's width the summary fits and the timeline scrolls
    sideways instead of shrinking to nothing (checked by eye in Chromium at
    390 px: docs/report-phone-zh.png)."""
    page = page_of(compliant_story(tmp_path), "zh")
    assert '<div class="tl-scroll"><svg class="timeline"' in page
    css = page.split("<style>", 1)[1].split("</style>", 1)[0]
    media = css.index("@media (max-width:700px)")
    assert css.index(".summary .cols>div:first-child{flex:0 0 470px}") < media
    assert "svg.timeline{min-width:880px}" in css[media:]


def test_the_audit_page_has_the_columns_the_cli_shows(tmp_path: Path) -> None:
    """Issue 23: no anchors/policy column on the page although the CLI shows
    them; statuses in the page's language."""
    story = Story(tmp_path, policy='[policy.levels]\nSHIFT-SIZE = "off"')
    setup(story)
    page = zh_audit_page(write_vault(story, tmp_path / "v"), tmp_path)
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert "中心锚点" in head and "策略" in head
    row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "SHIFT-SIZE 关闭" in row and ">放宽策略<" in row


def test_integrity_failures_are_marked_on_the_timeline(tmp_path: Path) -> None:
    """Issue 23 (8): a tampered line is a cross on the timeline, at the time of
    the last sound entry before it, linking to its row of the integrity table;
    on the audit page too, inside the bundle's section."""
    story = compliant_story(tmp_path)
    lines = [line + b"\n" for line in story.lines]
    lines[3] = lines[3].replace(b"07:20", b"07:25")  # the first custody entry
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "ledger.jsonl").write_bytes(b"".join(lines))
    out = tmp_path / "r.html"
    CliRunner().invoke(cli, ["--vault", str(vault), "report", "--html", str(out)])
    page = out.read_text("utf-8")
    crosses = re.findall(r'<a href="#(i-\d+)"><path class="broken"[^>]*>', page)
    assert crosses and crosses[0] == "i-0"
    assert '<tr id="i-0"><td>4</td>' in page
    title = re.search(r'class="broken".*?<title>([^<]*)</title>', page)
    assert title and title.group(1).startswith("line 4 · hash-mismatch: ")
    # NOTE: at line 3 (K-D1 assigned, 07:20), not at the 07:25 line 4 claims
    timeline = Timeline()
    rep = verify.run(((x.rstrip(b"\n"), True) for x in lines), observe=timeline)
    say = report.words("en")
    shown = report._shown_integrity(rep, say, "")
    [first, *_] = report._broken(timeline, shown, say)
    assert first.at == datetime.fromisoformat(t("07:20"))
    audit = zh_audit_page(vault, tmp_path)
    assert re.search(r'<a href="#site-[0-9a-f]+-i-0"><path class="broken"', audit)
    assert re.search(r'<tr id="site-[0-9a-f]+-i-0">', audit)
