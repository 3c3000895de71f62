"""What an officer meets at the terminal: no vault, a closed pipe, Ctrl-C, help."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vaultctl.cli import cli
from vaultctl.cli.localise import walk
from vaultctl.cli.papers import parse_moved, parse_packet

from .conftest import Site

SIGN = ("--signer", "O-003", "--signer", "O-004")


def test_no_vault_names_the_folder_and_how_to_give_it(site: Site) -> None:
    result = site.run("status")
    assert result.exit_code == 4
    line = result.stderr
    assert str(site.vault_dir.resolve()) in line
    assert "--vault" in line and "VAULTCTL_VAULT" in line
    assert line.count("\n") == 1


def test_no_init_invitation_in_a_folder_that_holds_other_things(site: Site) -> None:
    site.vault_dir.mkdir()
    (site.vault_dir / "notes.txt").write_text("x")
    line = site.run("status").stderr
    assert "no ledger.jsonl in" in line and "vaultctl --vault DIR init" not in line
    (site.vault_dir / "notes.txt").unlink()
    assert "vaultctl --vault DIR init" in site.run("status").stderr


def test_unknown_type_lists_the_known_ones(vault: Site) -> None:
    result = vault.run("log", "--type", "issues")
    assert result.exit_code == 2
    assert "'issues' is not one of" in result.stderr and "'issue'" in result.stderr


def _vaultctl(site: Site, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "vaultctl",
        "--vault",
        str(site.vault_dir),
        "--key-dir",
        str(site.key_dir),
        *args,
    ]


def test_a_closed_pipe_ends_quietly(vault: Site) -> None:
    env = {**os.environ, "LANG": "C.UTF-8"}
    proc = subprocess.Popen(  # noqa: S603 - our own program
        _vaultctl(vault, "log", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -0`: the reader is gone before output
    try:
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # NOTE: never leave a hung child behind
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 141
    assert err == b""


def _reap(pid: int, timeout: float = 30) -> int:
    """Wait for a child at most ``timeout`` seconds, then kill it: a test
    never hangs the suite on a child that does not exit."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def _read_until(fd: int, wanted: bytes, timeout: float = 30) -> bytes:
    seen = b""
    end = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < end:
        ready, _w, _x = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("C.UTF-8", "cancelled, nothing written"),
        ("zh_CN.UTF-8", "已取消，未写入任何内容"),
    ],
)
def test_ctrl_c_at_the_passphrase_prompt_is_one_line(
    vault: Site, lang: str, line: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTCTL_")}
    env.update({"LANG": lang, "LC_ALL": lang})
    before = vault.ledger.read_bytes()
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(sys.executable, _vaultctl(vault, "note", "--text", "x", *SIGN), env)  # noqa: S606
    try:
        assert b"O-003" in _read_until(fd, b": ")
        os.write(fd, b"\x03")
        rest = _read_until(fd, line.encode("utf-8"))
    finally:
        status = _reap(pid)
        os.close(fd)
    assert line.encode("utf-8") in rest, rest
    assert os.waitstatus_to_exitcode(status) == 130
    assert b"no passphrase" not in rest and b"Aborted" not in rest
    assert vault.ledger.read_bytes() == before


COMMANDS = [c for c in walk(cli) if c is not cli]


def _path(command: object) -> str:
    for parent in walk(cli):
        for name, child in getattr(parent, "commands", {}).items():
            if child is command:
                return f"{_path(parent)} {name}".strip() if parent is not cli else name
    return ""


@pytest.mark.parametrize("command", COMMANDS, ids=_path)
def test_every_help_has_an_example_and_no_literal_b(command: object) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, [*_path(command).split(), "--help"])
    assert result.exit_code == 0
    assert "\\b" not in result.stdout and "\b" not in result.stdout
    assert "Example:" in result.stdout


def _examples() -> list[list[str]]:
    found = []
    for command in walk(cli):
        text = (command.help or "").partition("Example:")[2]
        for joined in text.replace("\\\n", " ").splitlines():
            if joined.strip().startswith("vaultctl"):
                found.append(shlex.split(joined))
    return found


def test_every_example_packet_parses() -> None:
    issued, returned = set(), set()
    for words in _examples():
        specs = [words[i + 1] for i, w in enumerate(words) if w == "--packet"]
        for spec in specs:
            if {"receipt", "return"} & set(words):
                packet = parse_packet(spec, "paper")
                if "return" in words:
                    returned.add(packet["id"])
            else:
                moved = parse_moved(spec)
                if "issue" in words:
                    issued.add(moved["id"])
    assert returned and returned <= issued


def test_completion_is_explained_in_help_and_readme() -> None:
    from click.testing import CliRunner

    shown = CliRunner().invoke(cli, ["--help"]).stdout
    assert "_VAULTCTL_COMPLETE=bash_source vaultctl" in shown
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    for shell in ("bash_source", "zsh_source", "fish_source"):
        assert f"_VAULTCTL_COMPLETE={shell}" in readme
    assert re.search(r"eval \"\$\(_VAULTCTL_COMPLETE=bash_source vaultctl\)\"", readme)
