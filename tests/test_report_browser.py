"""``report --html`` and ``audit --html`` in a real headless Chromium.

One browser for the module. The demo week (with its five planted findings)
and a small log full of markup are built once; each test loads a page and
reads the rendered DOM, the requests the page made and its CSP violations.
Screenshots go to ``build/artefacts`` (``VAULTCTL_ARTEFACTS``), and with
``VAULTCTL_UPDATE_DOCS=1`` also to ``docs/report.png`` and ``docs/audit.png``.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from vaultctl.cli import cli

from .browser import Browser, Page, find_chromium
from .english import english, text_of_page
from .story import Story, compliant_story, t
from .test_demo import build, demo_keys  # noqa: F401 - the fixture is used

ROOT = Path(__file__).parent.parent
SCRIPT = "<script>document.title='pwned'</script>"
IMG = '"><img src=x onerror="document.title=\'pwned2\'">'
ARTEFACTS = Path(os.environ.get("VAULTCTL_ARTEFACTS", ROOT / "build" / "artefacts"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    exe = find_chromium()
    if exe is None:
        pytest.fail("chromium is missing (`make test` installs it)")
    b = Browser(exe)
    yield b
    b.close()


def hostile_story(tmp: Path) -> Story:
    """The compliant day, then markup in a visitor's name, a note, an incident."""
    story = compliant_story(tmp)
    day = "2026-06-07"
    story.add("access", {"action": "enter", "person": IMG, "room": "R1"},
              t("14:00", day), ("O-002", "O-003"))  # fmt: skip
    story.add("note", {"text": SCRIPT}, t("14:05", day), ("O-002", "O-003"))
    story.add(
        "incident",
        {"kind": "other", "refs": [], "text": f"</title>{SCRIPT}{IMG}",
         "reported_to": IMG, "reported_at": t("14:10", day)},
        t("14:10", day),
        ("O-002", "O-001"),
    )  # fmt: skip
    story.add("access", {"action": "exit", "person": IMG, "room": "R1"},
              t("14:20", day), ("O-002", "O-003"))  # fmt: skip
    return story


def write_vault(story: Story, vault: Path) -> Path:
    vault.mkdir(parents=True)
    (vault / "ledger.jsonl").write_bytes(b"".join(line + b"\n" for line in story.lines))
    return vault


def run(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code in (0, 1, 3), (args, result.output)


@pytest.fixture(scope="module")
def pages(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[str, Path]:
    """The HTML files: the planted demo (en, zh), the hostile log, the audit."""
    tmp = tmp_path_factory.mktemp("report")
    root, env = request.getfixturevalue("demo_keys")
    build(root, env, tmp / "demo", plant=True)
    hostile = write_vault(hostile_story(tmp), tmp / "hostile")
    names = ("demo", "zh", "hostile", "audit", "audit-zh")
    out = {n: tmp / f"{n}.html" for n in names}
    run("--vault", str(tmp / "demo"), "report", "--html", str(out["demo"]))
    run(
        "--vault", str(tmp / "demo"), "--lang", "zh", "report", "--html", str(out["zh"])
    )
    run("--vault", str(hostile), "report", "--html", str(out["hostile"]))
    bundles = tmp / "bundles"
    bundles.mkdir()
    run("--vault", str(tmp / "demo"), "export", str(bundles / "S-330106-07"))
    run("--vault", str(hostile), "export", str(bundles / "S-TEST-01"))
    lines = (hostile / "ledger.jsonl").read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b"07:20", b"07:25")
    tampered = tmp / "tampered"
    tampered.mkdir()
    (tampered / "ledger.jsonl").write_bytes(b"".join(lines))
    run("--vault", str(tampered), "export", str(bundles / "S-TEST-02"))
    (bundles / "S-BROKEN.vaultctl.tar.gz").write_bytes(b"not a bundle")
    run("audit", str(bundles), "--jobs", "1", "--html", str(out["audit"]))
    zh_bundles = tmp / "zh-bundles"
    zh_bundles.mkdir()
    run("--vault", str(tmp / "demo"), "export", str(zh_bundles / "S-330106-07"))
    week = (tmp / "demo" / "ledger.jsonl").read_bytes().splitlines(keepends=True)
    week[5] = week[5].replace(b'"seq":5', b'"seq":55')
    (tmp / "demo-cut").mkdir()
    (tmp / "demo-cut" / "ledger.jsonl").write_bytes(b"".join(week))
    run("--vault", str(tmp / "demo-cut"), "export", str(zh_bundles / "S-330106-08"))
    run("--lang", "zh", "audit", str(zh_bundles), "--html", str(out["audit-zh"]))
    return out


def test_the_chinese_pages_of_the_planted_week_have_no_english_words(pages) -> None:
    """Issue 23: incident kinds, end states, levels, tooltips and integrity
    messages on the zh pages (the planted demo week, a tampered bundle)."""
    leaks = [
        f"{name}: {w}"
        for name in ("zh", "audit-zh")
        for w in english(text_of_page(pages[name].read_text("utf-8")))
    ]
    assert leaks == [], "\n".join(leaks)


def without_csp(html: str) -> str:
    return re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)


def artefact(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(ARTEFACTS / name)
    if os.environ.get("VAULTCTL_UPDATE_DOCS") == "1":
        page.screenshot(ROOT / "docs" / name)


def test_demo_timeline_has_shifts_openings_and_the_incident(browser, pages) -> None:
    page = browser.load(pages["demo"])
    lane = "document.querySelectorAll('svg.timeline .lane-{} {}').length"
    assert page.eval(lane.format("duty", "rect title")) >= 12  # 3 days of 8-h shifts
    titles = page.eval(
        "[...document.querySelectorAll('svg .lane-open title')].map(t => t.textContent)"
    )
    assert any(t.startswith("door:D1 · ") and "O-002" in t for t in titles)
    assert any(t.startswith("cabinet:C1 · ") for t in titles)
    incident = page.eval(
        "document.querySelector('svg path.incident title').textContent"
    )
    assert "seal-broken" in incident and "P-0609-AM-E02" in incident
    assert page.eval(lane.format("findings", "circle.finding")) == 5
    artefact(page, "report.png")


def test_every_finding_links_to_its_entry_row(browser, pages) -> None:
    page = browser.load(pages["demo"])
    links = page.eval(
        "[...document.querySelectorAll('svg a')].map(a => {"
        "const id = a.getAttribute('href').slice(1), row = document.getElementById(id);"
        "return [a.querySelector('title').textContent, row ? row.innerText : null]})"
    )
    assert len(links) == 5
    for title, row in links:
        assert row is not None, title
        seq, rule = re.match(r"#(\d+) (\S+) ", title).groups()  # type: ignore[union-attr]
        cells = row.split("\t")
        assert cells[0] == f"#{seq}" and cells[4] == rule
        assert cells[2] and cells[3] and cells[6]  # type, signers, clause


def test_nothing_is_fetched(browser, pages) -> None:
    for name in ("demo", "zh", "hostile", "audit"):
        page = browser.load(pages[name])
        assert page.fetched == [] and page.violations == [], name
        html = pages[name].read_text("utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
        assert "default-src 'none'" in html


def test_the_check_catches_an_external_image(browser, pages, tmp_path) -> None:
    bad = tmp_path / "bad.html"
    html = pages["demo"].read_text("utf-8")
    bad.write_text(html.replace("<main>", '<main><img src="http://127.0.0.1:9/x.png">'))
    page = browser.load(bad)
    assert page.fetched == ["http://127.0.0.1:9/x.png"]
    assert page.violations == ["http://127.0.0.1:9/x.png img-src"]
    no_csp = tmp_path / "no-csp.html"
    no_csp.write_text(without_csp(bad.read_text()))
    page = browser.load(no_csp)
    assert page.fetched == ["http://127.0.0.1:9/x.png"] and page.violations == []


@pytest.mark.parametrize("strip_csp", [False, True])
def test_markup_from_the_ledger_is_only_text(
    browser, pages, tmp_path, strip_csp
) -> None:
    path = pages["hostile"]
    if strip_csp:  # NOTE: escaping alone must hold, without the CSP's help
        path = tmp_path / "plain.html"
        path.write_text(without_csp(pages["hostile"].read_text("utf-8")), "utf-8")
    page = browser.load(path)
    assert not page.eval("document.title").startswith("pwned")
    assert page.eval("document.scripts.length") == 0
    assert page.eval("document.images.length") == 0
    assert page.eval("document.querySelectorAll('[onerror]').length") == 0
    text = page.eval("document.body.textContent")
    assert SCRIPT in text and IMG in text
    svg = page.eval("document.querySelector('svg.timeline').textContent")
    assert IMG in svg  # the visitor and the incident, in <title> and labels


def test_chinese_report(browser, pages) -> None:
    page = browser.load(pages["zh"])
    assert page.eval("document.documentElement.lang") == "zh-CN"
    text = page.eval("document.body.innerText")
    for words in ("值班班次", "钥匙保管", "在库试卷", "检查点与校验码", "考点主考"):
        assert words in text
    font = page.eval("getComputedStyle(document.body).fontFamily")
    assert font.startswith('"Noto Sans CJK SC"') and "Microsoft YaHei" in font
    artefact(page, "report-zh.png")


def test_audit_page_worst_first_sortable_and_opens_a_site(browser, pages) -> None:
    page = browser.load(pages["audit"])
    status = (
        "[...document.querySelectorAll('table.sites tbody tr')]"
        ".map(r => r.cells[{}].dataset.v)"
    )
    assert page.eval(status.format(0)) == ["4", "3", "1", "1"]
    assert page.eval("document.querySelectorAll('table.sites svg.spark').length") == 3
    page.eval("document.querySelectorAll('table.sites th')[3].click()")
    entries = [int(v) for v in page.eval(status.format(3))]
    assert entries == sorted(entries)
    page.eval("document.querySelectorAll('table.sites th')[3].click()")
    assert [int(v) for v in page.eval(status.format(3))] == sorted(
        entries, reverse=True
    )
    target = page.eval("document.querySelector('table.sites a').getAttribute('href')")
    page.eval(f"location.hash = '{target}'")
    page.eval("new Promise(r => setTimeout(r, 50))")
    assert page.eval(f"document.getElementById('{target[1:]}').open") is True
    page.eval("document.querySelectorAll('table.sites th')[0].click()")
    page.eval("document.querySelectorAll('table.sites th')[0].click()")
    assert (
        page.eval("document.querySelectorAll('table.sites th[data-asc]').length") == 1
    )
    assert page.eval(status.format(0)) == ["4", "3", "1", "1"]  # worst first again
    artefact(page, "audit.png")


def test_prints_on_a4_with_the_signature_block(browser, pages) -> None:
    page = browser.load(pages["demo"])
    pdf = base64.b64decode(
        browser.call("Page.printToPDF", {"preferCSSPageSize": True}, page.session)[
            "data"
        ]
    )
    boxes = set(re.findall(rb"/MediaBox \[([^\]]+)\]", pdf))
    assert len(boxes) == 1
    width, height = (float(v) for v in boxes.pop().split()[2:])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    pages_n = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages_n <= 5
    assert page.eval("!!document.querySelector('section.sign .lines')")
