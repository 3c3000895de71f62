"""Find English words left in Chinese output (issue 23: every message in
Chinese under zh). Ids, rule ids, command and option names, entry types and
a few technical names (JSON, SHA-256…) are allowed; anything else of three
letters or more is reported with its context."""

from __future__ import annotations

import html
import re
from functools import cache

import click

from vaultctl.cli import cli
from vaultctl.core.codes import Code
from vaultctl.rules import REGISTRY

TECH = {
    "json", "jsonl", "html", "csv", "sha", "rfc", "ed25519", "mib", "kib", "utf",
    "vaultctl", "jq", "chmod", "toml", "scrypt", "pbkdf2", "merkle", "base32",
    "c2sp", "nfc", "ime", "caps", "lock", "gzip", "tar", "pin", "pins", "xdg",
    "asia", "shanghai", "cron", "path", "lang", "tmp", "ctrl",
}  # fmt: skip

# NOTE: what is not a word of a sentence: ids (O-003, K-C1-A, P-0609-AM-E02),
# rule ids, options, paths and file names, hashes, codes, times
_NOT_WORDS = re.compile(
    r"'[^'\n]*'"  # what the user typed, quoted back
    r"|--?[a-z][a-z-]*"  # options
    r"|\b[A-Z][A-Z0-9]*(?:-[A-Za-z0-9]+)+\b"  # ids and rule ids with a dash
    r"|\b[A-Z]{2,}[0-9]*\b"  # rule ids, acronyms
    r"|\S*/\S*"  # paths, time zones
    r"|\S+\.(?:toml|html|json|jsonl|csv|note|key|pub|gz|mp4|txt|png)\b"
    r"|\b[0-9a-f]{8,}\b|\b[A-Z2-7]{4}(?:-[A-Z2-7]{4})+(?:-[A-Z2-7])?\b"
    r"|\b\w+=\S*"  # key=value of a body shown as written
    r"|\b[a-z]+(?:_[a-z]+)+\b"  # parameter names (away_max_minutes)
    r"|\b[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+\b"  # a class named (BadGzipFile)
    r"|\b(?:" + "|".join(sorted(Code, key=len, reverse=True)) + r")\b"  # codes
)
_WORD = re.compile(r"[A-Za-z]{3,}")


@cache
def allowed() -> frozenset[str]:
    names: set[str] = set(TECH)

    def walk(command: click.Command) -> None:
        names.update(re.split(r"[-_]", command.name or ""))
        for p in command.params:
            for opt in getattr(p, "opts", []):
                names.update(w for w in re.split(r"[-_]", opt.lstrip("-")) if w)
            choices = getattr(p.type, "choices", None) or ()
            names.update(w for c in choices for w in re.split(r"[-_]", str(c)))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(cli)
    names.update(r.lower() for r in REGISTRY)
    return frozenset(n.lower() for n in names)


def text_of_page(page: str) -> str:
    """What a reader sees of an HTML page, and its tooltips."""
    page = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", page)
    titles = re.findall(r'\btitle="([^"]*)"', page)
    body = re.sub(r"(?s)<[^>]+>", " ", page)
    return html.unescape(body + "\n" + "\n".join(titles))


def english(text: str) -> list[str]:
    """English words in ``text`` that are none of the allowed kinds, in context."""
    found = []
    for line in text.splitlines():
        rest = _NOT_WORDS.sub(" ", line)
        words = [w for w in _WORD.findall(rest) if w.lower() not in allowed()]
        if words:
            found.append(f"{' '.join(words)}  ←  {line.strip()[:160]}")
    return found
