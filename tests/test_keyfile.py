"""Key files that resist guessing: scrypt PKCS#8, a passphrase floor, upgrade."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultctl.cli import cli
from vaultctl.core import keyfile, keys
from vaultctl.core.errors import KeyFileError, UsageError

from .conftest import REAL_SCRYPT


def seeded(n: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)


def test_the_real_cost_is_memory_hard_and_slow() -> None:
    """16 MiB per guess (OpenSSL's default limit is 32 MiB) and 12 passes:
    about 0.4 s a guess here (bench/bench_kdf.py measures it)."""
    n, r, p = REAL_SCRYPT
    assert 128 * r * n >= 16 * 2**20
    assert 128 * r * n <= 32 * 2**20  # still opened by `openssl pkey`
    assert n * r * p >= 2**14 * 8 * 12


def test_a_key_file_records_its_scrypt_parameters() -> None:
    with mock.patch.multiple(keyfile, SCRYPT_N=2**11, SCRYPT_R=8, SCRYPT_P=3):
        pem = keyfile.encrypt(seeded(1), "口令口令".encode())
    assert keyfile.kdf_name(pem) == "scrypt"
    assert keyfile._kdf(pem)[1] == {"n": 2**11, "r": 8, "p": 3}
    loaded = serialization.load_pem_private_key(pem, "口令口令".encode())
    assert isinstance(loaded, Ed25519PrivateKey)
    assert loaded.private_bytes_raw() == seeded(1).private_bytes_raw()
    # NOTE: a wrong key gives valid CBC padding about 1 time in 256, and then
    # the DER parse fails instead: either way a ValueError, which is what
    # keys.load_private turns into "wrong passphrase" (a fixed message here
    # made this test fail 1 run in 256)
    with pytest.raises(ValueError, match="password|decrypt|deserialize"):
        serialization.load_pem_private_key(pem, b"wrong passphrase")


def test_openssl_opens_the_key_file(tmp_path: Path) -> None:
    """A standard tool reads the format (README: `openssl pkey`)."""
    path = tmp_path / "O-1.key"
    with mock.patch.multiple(keyfile, SCRYPT_N=2**14, SCRYPT_R=8, SCRYPT_P=1):
        path.write_bytes(keyfile.encrypt(seeded(2), b"hunter2hunter2"))
    out = subprocess.run(
        [
            "openssl",
            "pkey",
            "-in",
            str(path),
            "-passin",
            "pass:hunter2hunter2",
            "-pubout",
        ],
        capture_output=True,
        check=True,
    ).stdout
    public = serialization.load_pem_public_key(out)
    assert public.public_bytes_raw() == keys.raw_public(seeded(2))  # type: ignore[union-attr]


def test_a_planted_key_file_with_a_huge_cost_is_not_opened(tmp_path: Path) -> None:
    with mock.patch.multiple(keyfile, SCRYPT_N=2**4, SCRYPT_R=8, SCRYPT_P=1):
        pem = keyfile.encrypt(seeded(3), b"hunter2hunter2")
    # NOTE: rewrite N in the DER to 2^30 (a 128 GiB allocation if obeyed)
    name, cost = keyfile._kdf(pem)
    assert name == "scrypt" and cost["n"] == 16
    assert keyfile.cost_problem(pem) is None
    with mock.patch.dict(keyfile.MAX_COST, {"n": 8}):
        assert "beyond" in (keyfile.cost_problem(pem) or "")
    key_dir = tmp_path / "k"
    key_dir.mkdir()
    (key_dir / "O-1.key").write_bytes(pem)
    os.chmod(key_dir / "O-1.key", 0o600)
    with (
        mock.patch.dict(keyfile.MAX_COST, {"n": 8}),
        pytest.raises(KeyFileError, match="beyond"),
    ):
        keys.load_private(key_dir, "O-1", "hunter2hunter2")


@pytest.mark.parametrize(
    ("passphrase", "ok"),
    [
        ("abcdefghij", True),
        ("abcdefghi", False),
        ("口令口令", True),
        ("口令口", False),
        ("口令ab34", False),  # 2.5 + 2.5 + 4 = 9
        ("口令abcde", True),  # 10
        ("cafe\u0301-12345", True),  # NFC: 10 characters
        ("cafe\u0301-1234", False),  # 10 code points, 9 characters
    ],
)
def test_the_passphrase_floor(passphrase: str, ok: bool) -> None:
    """10 characters, a Chinese character counting 2.5."""
    assert (keys.passphrase_problem(passphrase) is None) == ok


def test_generate_refuses_a_short_passphrase(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="at least 10 characters"):
        keys.generate(tmp_path, "O-1", "123456789")
    assert not (tmp_path / "O-1.key").exists()


def legacy_key(key_dir: Path, officer: str, passphrase: str) -> None:
    """A key file as vaultctl 0.1 wrote it: PBKDF2-SHA256, 2,048 iterations."""
    key_dir.mkdir(exist_ok=True)
    pem = seeded(4).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    path = key_dir / f"{officer}.key"
    path.write_bytes(pem)
    os.chmod(path, 0o600)
    pub = f"{keys.format_public_key(keys.raw_public(seeded(4)))} {officer}\n"
    (key_dir / f"{officer}.pub").write_text(pub)


def test_keys_upgrade_rewraps_a_legacy_key(tmp_path: Path, clean_env: None) -> None:
    key_dir = tmp_path / "k"
    legacy_key(key_dir, "O-042", "old-8byte")
    assert keys.kdf_of(key_dir, "O-042") == "pbkdf2"
    pub_before = (key_dir / "O-042.pub").read_bytes()
    result = CliRunner().invoke(
        cli,
        ["--key-dir", str(key_dir), "keys", "upgrade", "O-042"],
        input="old-8byte\n新的保密口令\n新的保密口令\n",
    )
    assert result.exit_code == 0, result.output
    assert "re-encrypted with scrypt" in result.stdout
    assert "新的保密口令" not in result.output and "old-8byte" not in result.output
    assert keys.kdf_of(key_dir, "O-042") == "scrypt"
    assert (key_dir / "O-042.key").stat().st_mode & 0o777 == 0o600
    assert (key_dir / "O-042.pub").read_bytes() == pub_before
    again = keys.load_private(key_dir, "O-042", "新的保密口令")
    assert keys.raw_public(again) == keys.raw_public(seeded(4))
    with pytest.raises(Exception, match="wrong passphrase"):
        keys.load_private(key_dir, "O-042", "old-8byte")
    assert not list(key_dir.glob("*.new"))


def test_keys_upgrade_with_a_wrong_passphrase_changes_nothing(
    tmp_path: Path, clean_env: None
) -> None:
    key_dir = tmp_path / "k"
    legacy_key(key_dir, "O-042", "old-8byte")
    before = (key_dir / "O-042.key").read_bytes()
    result = CliRunner().invoke(
        cli,
        ["--key-dir", str(key_dir), "keys", "upgrade", "O-042"],
        input="wrong\nwrong\nwrong\n",
    )
    assert result.exit_code != 0
    assert (key_dir / "O-042.key").read_bytes() == before


def test_a_planted_pbkdf2_key_file_with_a_huge_count_is_not_opened(
    tmp_path: Path,
) -> None:
    """Review finding: a 0.1-style file patched to 2e8 iterations stalled."""
    legacy_key(tmp_path, "O-1", "old-8byte")
    pem = (tmp_path / "O-1.key").read_bytes()
    assert keyfile._kdf(pem) == ("pbkdf2", {"iterations": 2048})
    assert keyfile.cost_problem(pem) is None
    with (
        mock.patch.dict(keyfile.MAX_COST, {"iterations": 1000}),
        pytest.raises(KeyFileError, match="iteration count beyond"),
    ):
        keys.load_private(tmp_path, "O-1", "old-8byte")


def test_an_unencrypted_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "O-1.key"
    path.write_bytes(
        seeded(5).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError, match="not a key file vaultctl writes"):
        keys.load_private(tmp_path, "O-1", "whatever-10")
