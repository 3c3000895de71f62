"""Shared fixtures: keys from fixed seeds, a small site, vault factories, a runner."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import settings

from vaultctl.cli import cli
from vaultctl.core import i18n, keyfile, keys
from vaultctl.store import writer
from vaultctl.store.ledger import Vault

# NOTE: no per-example deadline: a slow or busy CI machine must not turn a
# correct property into a flaky failure
settings.register_profile("vaultctl", deadline=None, print_blob=True)
settings.load_profile("vaultctl")

# NOTE: key files record their own scrypt cost; the suite writes cheap ones
# (the real cost, about 0.4 s a guess, is checked in test_keys and measured by
# bench/bench_kdf.py)
REAL_SCRYPT = (keyfile.SCRYPT_N, keyfile.SCRYPT_R, keyfile.SCRYPT_P)
keyfile.SCRYPT_N, keyfile.SCRYPT_R, keyfile.SCRYPT_P = 2**10, 8, 1

# id, name, roles; seed byte = index + 1
OFFICERS = [
    ("O-001", "王建国", ["site_head"]),
    ("O-002", "李秀英", ["room_head", "custodian"]),
    ("O-003", "张伟", ["custodian"]),
    ("O-004", "刘洋", ["custodian"]),
    ("O-005", "陈静", ["custodian"]),
    ("O-006", "杨帆", ["custodian"]),
    ("O-009", "周强", ["security"]),
    ("O-010", "吴军", ["security"]),
    ("O-101", "林晓燕", ["invigilator"]),
    ("O-201", "孙明", ["secrecy_inspector"]),
    ("O-202", "郑涛", ["police_inspector"]),
]
OUTSIDER = "O-666"  # has a key file but is not on the roster


def private_key(officer_id: str) -> Ed25519PrivateKey:
    ids = [o[0] for o in OFFICERS] + [OUTSIDER]
    return Ed25519PrivateKey.from_private_bytes(bytes([ids.index(officer_id) + 1]) * 32)


def passphrase(officer_id: str) -> str:
    return f"口令-{officer_id}"


def site_toml(extra: str = "") -> str:
    parts = [
        """[site]
id = "S-TEST-01"
name = "测试考点"
exam = "2026年测试考试"
timezone = "Asia/Shanghai"
exam_start = "2026-06-07"
exam_end = "2026-06-08"
"""
    ]
    for officer_id, name, roles in OFFICERS:
        raw = keys.raw_public(private_key(officer_id))
        parts.append(
            f'''[[officers]]
id = "{officer_id}"
name = "{name}"
roles = {roles!r}
public_key = "{keys.format_public_key(raw)}"
trained = "2026-05-20"
'''.replace("'", '"')
        )
    parts.append("""[[rooms]]
id = "R1"
name = "试卷保密室"
doors = [ { id = "D1", name = "防盗门", keys = ["K-D1"] },
          { id = "D2", name = "内门", keys = ["K-D2"] } ]

[[cabinets]]
id = "C1"
room = "R1"
keys = ["K-C1-A", "K-C1-B"]

[[cameras]]
id = "CAM-1"
room = "R1"

[[sessions]]
id = "S-0607-AM"
subject = "语文"
start = "2026-06-07T09:00"
end = "2026-06-07T11:30"
exam_rooms = { E01 = "O-101" }
""")
    return "\n".join(parts) + extra


@dataclass
class Site:
    """A temporary site: key dir, site.toml, vault dir, and ways to write to it."""

    root: Path
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def key_dir(self) -> Path:
        return self.root / "keys"

    @property
    def vault_dir(self) -> Path:
        return self.root / "vault"

    @property
    def vault(self) -> Vault:
        return Vault(self.vault_dir)

    @property
    def ledger(self) -> Path:
        return self.vault_dir / "ledger.jsonl"

    @property
    def config(self) -> Path:
        return self.root / "site.toml"

    def env(self) -> dict[str, str]:
        ids = [o[0] for o in OFFICERS] + [OUTSIDER]
        return {keys.passphrase_variable(i): passphrase(i) for i in ids}

    def run(
        self, *args: str, env: dict[str, str] | None = None, input: str | None = None
    ) -> Result:
        full = ["--vault", str(self.vault_dir), "--key-dir", str(self.key_dir), *args]
        return self.runner.invoke(
            cli,
            full,
            env=self.env() if env is None else env,
            input=input,
            catch_exceptions=False,
        )

    def signers(self, *ids: str) -> list[writer.Signer]:
        return [writer.Signer(i, private_key(i)) for i in ids]

    def append(
        self,
        entry_type: str,
        body: dict[str, Any],
        ts: str,
        signer_ids: tuple[str, ...] = ("O-003", "O-004"),
    ) -> None:
        writer.append(self.vault, entry_type, body, ts, self.signers(*signer_ids))

    def lines(self) -> list[bytes]:
        return self.ledger.read_bytes().splitlines(keepends=True)

    def write_lines(self, lines: list[bytes]) -> None:
        self.ledger.write_bytes(b"".join(lines))


def make_site(root: Path, extra_toml: str = "") -> Site:
    site = Site(root)
    for officer_id in [o[0] for o in OFFICERS] + [OUTSIDER]:
        keys.generate(
            site.key_dir,
            officer_id,
            passphrase(officer_id),
            private=private_key(officer_id),
        )
    site.config.write_text(site_toml(extra_toml), "utf-8")
    return site


@pytest.fixture(scope="session")
def key_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Encrypted key files are slow to make; make them once and copy."""
    root = tmp_path_factory.mktemp("keycache")
    make_site(root)
    return root


@pytest.fixture
def site(tmp_path: Path, key_cache: Path) -> Site:
    """A site with keys and site.toml but no vault yet."""
    s = Site(tmp_path)
    s.key_dir.mkdir()
    for f in (key_cache / "keys").iterdir():
        target = s.key_dir / f.name
        target.write_bytes(f.read_bytes())
        os.chmod(target, 0o600 if f.suffix == ".key" else 0o644)
    s.config.write_text(site_toml(), "utf-8")
    return s


GENESIS_AT = "2026-06-06T08:00:00+08:00"


@pytest.fixture
def make_vault(site: Site) -> Callable[[int], Site]:
    """Factory: a vault with the genesis and ``n`` notes."""
    from vaultctl.store import config

    def make(n: int) -> Site:
        body = config.load(site.config)
        site.vault_dir.mkdir(exist_ok=True)
        site.append("genesis", body, GENESIS_AT, ("O-001", "O-002"))
        for i in range(n):
            minute = i % 60
            hour = 9 + i // 60
            site.append(
                "note",
                {"text": f"记录 {i}"},
                f"2026-06-06T{hour:02d}:{minute:02d}:00+08:00",
            )
        return site

    return make


@pytest.fixture
def vault(make_vault: Callable[[int], Site]) -> Site:
    """A site whose vault holds the genesis and three notes."""
    return make_vault(3)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("VAULTCTL_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def english_after_each_test() -> Iterator[None]:
    """A Chinese run leaves the process in Chinese; the next test starts in English."""
    yield
    i18n.use("en")


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Each test's own writers' snapshot cache (vaultctl.store.snapshot)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
