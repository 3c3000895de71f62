"""Drive the real ``vaultctl`` command line through an exam week at one site.

Every step is one subprocess call, exactly as officers would type it (the
passphrases come from the environment that ``demo.sh`` set up).
"""

from __future__ import annotations

import shlex
import subprocess
import sys

SITE_HEAD, ROOM_HEAD = "O-001", "O-002"


def vaultctl(*args: str) -> None:
    """Run one command; stop the demo on the first refusal."""
    print("$ vaultctl " + shlex.join(args))
    result = subprocess.run(["vaultctl", *args], capture_output=True, text=True)
    sys.stdout.write("  " + result.stdout.replace("\n", "\n  ").rstrip(" "))
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        sys.exit(f"demo step failed with exit {result.returncode}")


def signed(*ids: str) -> list[str]:
    return [arg for officer in ids for arg in ("--signer", officer)]


def main() -> None:
    vaultctl("init", "--config", "site.toml" if False else _site_toml(),
             *signed(SITE_HEAD, ROOM_HEAD), "--at", "2026-06-05T08:00")
    vaultctl("note", "--text", "保密室启用，钥匙、监控、值班表已就绪",
             *signed(ROOM_HEAD, "O-003"), "--at", "2026-06-05T08:30")
    vaultctl("note", "--text", "22:00 巡查：门窗、封条完好，监控正常",
             *signed("O-003", "O-009"), "--at", "2026-06-05T22:00")
    vaultctl("log")


def _site_toml() -> str:
    import os

    return os.path.join(os.path.dirname(os.environ["VAULTCTL_VAULT"]), "site.toml")


if __name__ == "__main__":
    main()
