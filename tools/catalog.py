"""Build the message catalogs: extract msgids, merge the ``.po``, compile the ``.mo``.

``python -m tools.catalog`` (``make i18n``) re-extracts every message and
compiles ``vaultctl/locale/zh/LC_MESSAGES/vaultctl.mo`` from the ``.po``. The
compiled file is committed, so ``pip install .`` needs nothing extra; a test
checks that it is what this module compiles from the ``.po``.

Messages come from three places:

* calls ``_("…")``, ``N_("…")`` and ``ngettext("…", "…", n)`` in vaultctl
  (an AST walk, like ``xgettext``);
* the help texts of the command tree (docstrings and option ``help=``);
* click's own messages, found the same way in the installed click.
"""

from __future__ import annotations

import ast
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

from vaultctl.core.i18n import LOCALE_DIR

PACKAGE = Path(__file__).parent.parent / "vaultctl"
PO = LOCALE_DIR / "zh" / "LC_MESSAGES" / "vaultctl.po"
MO = PO.with_suffix(".mo")
HEADER = (
    "Project-Id-Version: vaultctl\n"
    "Language: zh_CN\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "Plural-Forms: nplurals=1; plural=0;\n"
)


@dataclass(slots=True)
class Message:
    """One catalog entry: msgid (and plural), translations, flags."""

    msgid: str
    plural: str | None = None
    strs: list[str] = field(default_factory=lambda: [""])
    flags: set[str] = field(default_factory=set)


def extract_calls(root: Path) -> dict[str, str | None]:
    """msgid -> plural for every ``_``/``N_``/``ngettext`` call under ``root``."""
    found: dict[str, str | None] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else None
            if isinstance(func, ast.Attribute) and func.attr in ("gettext", "ngettext"):
                name = "_" if func.attr == "gettext" else "ngettext"
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            if name in ("_", "N_") and args and isinstance(args[0], str):
                found.setdefault(args[0], None)
            elif (
                name == "ngettext"
                and len(args) >= 2
                and isinstance(args[0], str)
                and isinstance(args[1], str)
            ):
                found[args[0]] = args[1]
    return found


def extract_help() -> list[str]:
    """Every help text of the command tree, as :mod:`cli.localise` looks it up."""
    from vaultctl.cli import cli
    from vaultctl.cli.localise import help_msgids, walk

    found: list[str] = ["Example:"]
    for command in walk(cli):
        found += help_msgids(command.help or "")
        for param in command.params:
            text = getattr(param, "help", None)
            if text:
                found.append(text)
    return found


def click_root() -> Path:
    import click

    return Path(click.__file__).parent


def wanted() -> dict[str, str | None]:
    """Every msgid vaultctl shows: its own, its help texts, click's."""
    found = extract_calls(PACKAGE)
    for text in extract_help():
        found.setdefault(text, None)
    for msgid, plural in extract_calls(click_root()).items():
        found.setdefault(msgid, plural)
    return found


def _quote(text: str) -> str:
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    lines = body.split("\n")
    if len(lines) == 1:
        return f'"{body}"'
    parts = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    return '""\n' + "\n".join(f'"{p}"' for p in parts)


def _unquote(text: str) -> str:
    value: str = ast.literal_eval(text)
    return value


def read_po(path: Path) -> list[Message]:
    """The entries of a ``.po`` file (header entry included, msgid ``""``)."""
    messages: list[Message] = []
    cur: Message | None = None
    target: tuple[str, int] = ("", 0)
    flags: set[str] = set()
    for raw in path.read_text("utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#,"):
            flags = {f.strip() for f in line[2:].split(",")}
        elif line.startswith("msgid "):
            cur = Message(_unquote(line[6:]), flags=flags)
            messages.append(cur)
            flags, target = set(), ("id", 0)
        elif line.startswith("msgid_plural ") and cur is not None:
            cur.plural, target = _unquote(line[13:]), ("plural", 0)
        elif line.startswith("msgstr") and cur is not None:
            head, _sep, rest = line.partition(" ")
            n = int(head[7:-1]) if head.endswith("]") else 0
            while len(cur.strs) <= n:
                cur.strs.append("")
            cur.strs[n], target = _unquote(rest), ("str", n)
        elif line.startswith('"') and cur is not None:
            more = _unquote(line)
            if target[0] == "id":
                cur.msgid += more
            elif target[0] == "plural":
                cur.plural = (cur.plural or "") + more
            else:
                cur.strs[target[1]] += more
    return messages


def write_po(path: Path, messages: list[Message]) -> None:
    out = ['msgid ""', "msgstr " + _quote(HEADER), ""]
    for m in messages:
        if not m.msgid:
            continue
        if m.flags:
            out.append("#, " + ", ".join(sorted(m.flags)))
        out.append("msgid " + _quote(m.msgid))
        if m.plural is not None:
            out.append("msgid_plural " + _quote(m.plural))
            out += [f"msgstr[{i}] " + _quote(s) for i, s in enumerate(m.strs)]
        else:
            out.append("msgstr " + _quote(m.strs[0]))
        out.append("")
    path.write_text("\n".join(out), "utf-8")


def merge(messages: list[Message], ids: dict[str, str | None]) -> list[Message]:
    """Keep translations of msgids still used; add new ones untranslated, in order."""
    known = {m.msgid: m for m in messages if m.msgid}
    return [known.get(i) or Message(i, p) for i, p in ids.items()]


def compile_mo(messages: list[Message]) -> bytes:
    """The GNU ``.mo`` bytes of the translated, non-fuzzy entries (sorted ids)."""
    pairs = {"": HEADER}
    for m in messages:
        if not m.msgid or "fuzzy" in m.flags or not all(m.strs):
            continue
        key = m.msgid if m.plural is None else f"{m.msgid}\0{m.plural}"
        pairs[key] = "\0".join(m.strs)
    keys = sorted(pairs)
    ids = [k.encode("utf-8") for k in keys]
    strs = [pairs[k].encode("utf-8") for k in keys]
    n = len(keys)
    table = 7 * 4
    data_at = table + n * 16
    blob = b""
    id_index, str_index = [], []
    for raw in ids:
        id_index.append((len(raw), data_at + len(blob)))
        blob += raw + b"\0"
    for raw in strs:
        str_index.append((len(raw), data_at + len(blob)))
        blob += raw + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, n, table, table + n * 8, 0, data_at)
    index = b"".join(struct.pack("<2I", *p) for p in id_index + str_index)
    return head + index + blob


def main() -> int:
    messages = merge(read_po(PO) if PO.exists() else [], wanted())
    write_po(PO, messages)
    MO.write_bytes(compile_mo(messages))
    missing = [m.msgid for m in messages if not all(m.strs) or "fuzzy" in m.flags]
    print(f"{PO}: {len(messages)} messages, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
