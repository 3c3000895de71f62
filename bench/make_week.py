"""Record the demo week (examples/exam_week.py) as bench/week.json, once.

Runs every command of the week through the real CLI in-process (cheap test
KDF), then keeps what ``gen.py`` needs to re-sign the same sequence quickly:
the genesis body and, per entry, its type, body, time and signers.
Reproduce: ``.venv/bin/python bench/make_week.py``.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultctl.cli import cli
from vaultctl.core import canonical, keyfile, keys

EXAMPLES = Path(__file__).parent.parent / "examples"
keyfile.SCRYPT_N, keyfile.SCRYPT_R, keyfile.SCRYPT_P = 2**10, 8, 1


def main() -> None:
    spec = importlib.util.spec_from_file_location("week", EXAMPLES / "exam_week.py")
    assert spec
    assert spec.loader
    week = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(week)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copy(EXAMPLES / "site.toml", root / "site.toml")
        text = (EXAMPLES / "site.toml").read_text("utf-8")
        ids = [
            ln.split('"')[1] for ln in text.splitlines() if ln.startswith('id = "O-')
        ]
        env = {}
        for n, officer in enumerate(ids, start=1):
            private = Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)
            keys.generate(
                root / "keys", officer, f"口令口令-{officer}", private=private
            )
            env[keys.passphrase_variable(officer)] = f"口令口令-{officer}"
        base = ["--vault", str(root / "v"), "--key-dir", str(root / "keys")]
        init = [
            "init",
            "--config",
            str(root / "site.toml"),
            *week.signed(week.SITE_HEAD, week.ROOM_HEAD),
            "--at",
            "2026-06-05 08:00",
        ]
        runner = CliRunner()
        for args in [init, *week.commands(False)]:
            result = runner.invoke(cli, [*base, *args], env=env)
            assert result.exit_code == 0, (args, result.output)
        lines = (root / "v" / "ledger.jsonl").read_bytes().splitlines()
        # NOTE: the files the week binds (--attach), so a generated vault
        # verifies with its evidence/ folder, as the demo's does
        evidence = {
            f.name: base64.b64encode(f.read_bytes()).decode("ascii")
            for f in sorted((root / "v" / "evidence").glob("*"))
        }
    entries = [canonical.parse(line) for line in lines]
    out = {
        "officers": ids,
        "entries": [
            {
                "type": e["type"],
                "ts": e["ts"],
                "body": e["body"],
                "signers": [s["by"] for s in e["sigs"]],
            }
            for e in entries
        ],
        "evidence": evidence,
    }
    path = Path(__file__).parent / "week.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=0) + "\n", "utf-8")
    print(f"{path}: {len(entries)} entries", file=sys.stderr)


if __name__ == "__main__":
    main()
