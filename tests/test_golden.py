"""Golden vault: fixed seeds and a fixed log id must give these exact bytes.

Any change to the canonical encoding, the signing input, the hash or the
signature format changes the bytes and fails this test. After a deliberate
format change (a new ``v``), regenerate with ``python -m tests.test_golden``.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from unittest import mock

from vaultctl import verify
from vaultctl.tlog import merkle, shortcode

from .story import Story, t

GOLDEN = Path(__file__).parent / "golden" / "small.jsonl"
LOG_ID = "0123456789abcdef0123456789abcdef"


def generate() -> bytes:
    with (
        tempfile.TemporaryDirectory() as tmp,
        mock.patch.object(secrets, "token_hex", return_value=LOG_ID),
    ):
        story = Story(Path(tmp))
        story.add(
            "note",
            {"text": '交接班：门锁、封条完好 \u00e9\t"引号"'},
            t("08:00"),
            ("O-003", "O-004"),
        )
        story.custody("assign", "K-D1", t("08:05"), ("O-002", "O-001"), to="O-002")
        story.add(
            "cctv", {"action": "on", "camera": "CAM-1"}, t("08:10"), ("O-002", "O-003")
        )
    return b"".join(line + b"\n" for line in story.lines)


def test_regenerating_gives_the_same_bytes() -> None:
    assert generate() == GOLDEN.read_bytes()


def test_golden_vault_verifies_and_has_a_stable_code() -> None:
    lines = GOLDEN.read_bytes().splitlines()
    report = verify.run((line, True) for line in lines)
    assert report.integrity == []
    assert report.code == shortcode.short_code(len(lines), merkle.root_of(lines))


if __name__ == "__main__":
    GOLDEN.write_bytes(generate())
    print(f"wrote {GOLDEN}")
