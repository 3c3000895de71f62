"""The exam-week demo (examples/exam_week.py) through the real CLI, in-process.

The demo vault must pass every rule; the variant with five planted violations
must report exactly those five.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultctl.cli import cli
from vaultctl.core import keys

EXAMPLES = Path(__file__).parent.parent / "examples"
PLANTED = {
    ("SHIFT-SIZE", "06-07T03:05"),
    ("ACCESS", "06-07T13:00"),
    ("CCTV", "06-08T02:00"),
    ("REPORTED", "06-08T21:00"),
    ("KEY-SPLIT", "06-09T12:00"),
}


def load_week() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "exam_week", EXAMPLES / "exam_week.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Keys (fixed seeds) and public key files for every officer of site.toml."""
    root = tmp_path_factory.mktemp("demo")
    shutil.copy(EXAMPLES / "site.toml", root / "site.toml")
    text = (EXAMPLES / "site.toml").read_text("utf-8")
    ids = [
        line.split('"')[1] for line in text.splitlines() if line.startswith('id = "O-')
    ]
    env = {}
    for n, officer in enumerate(ids, start=1):
        private = Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)
        keys.generate(root / "keys", officer, f"口令口令-{officer}", private=private)
        env[keys.passphrase_variable(officer)] = f"口令口令-{officer}"
    return root, env


def build(root: Path, env: dict[str, str], vault: Path, plant: bool) -> CliRunner:
    week = load_week()
    runner = CliRunner()
    base = ["--vault", str(vault), "--key-dir", str(root / "keys")]
    init = [
        "init",
        "--config",
        str(root / "site.toml"),
        *week.signed(week.SITE_HEAD, week.ROOM_HEAD),
        "--at",
        "2026-06-05 08:00",
    ]
    for args in [init, *week.commands(plant)]:
        result = runner.invoke(cli, [*base, *args], env=env)
        assert result.exit_code == 0, (args, result.stderr)
    return runner


def verify_json(runner: CliRunner, vault: Path) -> tuple[int, dict]:
    result = runner.invoke(cli, ["--vault", str(vault), "verify", "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_demo_vault_passes_every_rule(demo_keys, tmp_path: Path) -> None:
    root, env = demo_keys
    runner = build(root, env, tmp_path / "v", plant=False)
    code, report = verify_json(runner, tmp_path / "v")
    assert (code, report["integrity"], report["findings"]) == (0, [], [])
    assert report["entries"] > 150
    assert report["state"]["stock"] == [] and report["state"]["on_duty"] is None
    assert report["rules_off"] == ["PATROL"]


def test_planted_variant_reports_exactly_the_five(demo_keys, tmp_path: Path) -> None:
    root, env = demo_keys
    runner = build(root, env, tmp_path / "v", plant=True)
    code, report = verify_json(runner, tmp_path / "v")
    assert code == 1 and report["integrity"] == []
    assert {(f["rule"], f["ts"][5:16]) for f in report["findings"]} == PLANTED
    assert len(report["findings"]) == 5
