"""Inputs that once crashed vaultctl (found by fuzzing), kept as files named
after the bug: each must now give a finding or one clear error, never a
traceback or exit 70."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from vaultctl import verify
from vaultctl.centre import audit
from vaultctl.cli import cli
from vaultctl.core.errors import ConfigError, ProofError
from vaultctl.store import config, ledger
from vaultctl.verify import proofs

from .conftest import Site

HERE = Path(__file__).parent / "regressions"


def files(prefix: str) -> list[Path]:
    return sorted(HERE.glob(f"{prefix}*"))


@pytest.mark.parametrize("path", files("verify-"), ids=lambda p: p.name)
def test_verify_reports_instead_of_crashing(path: Path) -> None:
    lines = ledger.read_lines(io.BytesIO(path.read_bytes()))
    assert verify.run(lines).exit_code in (0, 1, 3)


@pytest.mark.parametrize(
    "path", files("verify-") + files("replay-"), ids=lambda p: p.name
)
@pytest.mark.parametrize("command", [["verify"], ["status"], ["log"]])
def test_commands_on_a_damaged_vault_give_one_line(
    path: Path, command: list[str], tmp_path: Path
) -> None:
    (tmp_path / "v").mkdir()
    shutil.copy(path, tmp_path / "v" / "ledger.jsonl")
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path / "v"), *command])
    assert result.exit_code in (0, 1, 3), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("path", files("proof-"), ids=lambda p: p.name)
def test_malformed_proofs_are_proof_errors(path: Path) -> None:
    with pytest.raises(ProofError):
        proofs.check(json.loads(path.read_text("utf-8")), {})


def test_a_deeply_nested_proof_file_is_one_line(vault: Site, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    result = vault.run("prove", "--check", str(deep))
    assert result.exit_code == 1 and "cannot read a proof" in result.stderr


NOTE_NOT_UTF8 = "audit-bundle_note_not_utf8.vaultctl.tar.gz"


@pytest.mark.parametrize(
    "path",
    [p for p in files("audit-") if p.name != NOTE_NOT_UTF8],
    ids=lambda p: p.name,
)
def test_bad_bundles_are_unreadable_rows(path: Path) -> None:
    assert audit.audit_one(path)["status"] == "unreadable"


def test_a_bad_note_in_a_bundle_is_its_own_finding_not_an_unreadable_bundle() -> None:
    """Review finding: one junk note used to make the whole bundle unreadable
    (the ledger was never audited)."""
    row = audit.audit_one(HERE / NOTE_NOT_UTF8)
    assert row["status"] == "INTEGRITY"
    assert "bad-checkpoint" in row["integrity"]


@pytest.mark.parametrize("path", files("init-"), ids=lambda p: p.name)
def test_bad_site_configs_are_config_errors(path: Path) -> None:
    with pytest.raises(ConfigError):
        config.load(path)


@pytest.mark.parametrize(
    "args",
    [["audit", "/dev/null"], ["export", ""], ["keys", "generate", "x" * 300]],
    ids=["audit-a-file", "export-empty-name", "keys-long-id"],
)
def test_odd_arguments_are_one_line(vault: Site, args: list[str]) -> None:
    result = vault.run(*args)
    assert result.exit_code in (1, 2), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
