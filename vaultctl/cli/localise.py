"""Help texts in the run's language: the command tree, translated in place.

Click reads ``help`` strings when it renders, so after the language is chosen
(:meth:`VaultGroup.main`) each command's and option's help is replaced by its
translation. The English originals are kept, so a later run in the same
process (tests) can switch back. An example block (``\\b`` then ``Example:``)
is kept as written (commands are typed in English) with its heading translated.
"""

from __future__ import annotations

import inspect
from typing import Any

import click

from vaultctl.core.i18n import N_, _

EXAMPLE = "\b\nExample:"
# NOTE: click translates these words of its option lines with its own msgids
CLICK_WORDS = (N_("required"),)
_ORIGINAL: dict[int, tuple[Any, ...]] = {}
_PARAMS: dict[int, str | None] = {}


def help_msgids(text: str) -> list[str]:
    """The translatable parts of a help text: the prose before its example."""
    prose, _sep, _example = inspect.cleandoc(text).partition(EXAMPLE)
    return [prose.strip()] if prose.strip() else []


def translate_help(text: str | None) -> str | None:
    if not text:
        return text
    prose, sep, example = inspect.cleandoc(text).partition(EXAMPLE)
    shown = _(prose.strip()) if prose.strip() else ""
    if shown != prose.strip() and shown:
        # NOTE: click wraps by character count, which doubles the width of
        # Chinese; a translation keeps the line breaks its translator chose.
        shown = "\n\n".join(
            p if p.startswith("\b") else f"\b\n{p}" for p in shown.split("\n\n")
        )
    if sep:
        shown = f"{shown}\n\n\b\n{_('Example:')}{example}"
    return shown


def walk(command: click.Command) -> list[click.Command]:
    """The command and every command below it."""
    found = [command]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            found += walk(command.commands[name])
    return found


def localise(root: click.Command, lang: str) -> None:
    """Put every help text of ``root``'s tree into the run's language."""
    if lang == "en" and not _ORIGINAL:
        return  # NOTE: nothing to translate or restore; commands stay unimported
    for command in walk(root):
        key = id(command)
        if key not in _ORIGINAL:
            _ORIGINAL[key] = (command.help, command.short_help)
        # NOTE: options are kept by their own id: two commands may share one
        # (report reuses verify's), and it must be saved before either is
        # translated
        for p in command.params:
            _PARAMS.setdefault(id(p), getattr(p, "help", None))
        text, short = _ORIGINAL[key]
        params = [_PARAMS[id(p)] for p in command.params]
        if hasattr(command, "_help_option"):  # NOTE: click caches its --help option
            command._help_option = None
        command.help = translate_help(text)
        command.short_help = short
        if lang != "en" and text and not short:
            first = (command.help or "").split("\n\n")[0].replace("\n", "")
            command.short_help = first.split("。")[0]
        for param, original in zip(command.params, params, strict=True):
            if isinstance(param, click.Option):
                param.help = _(original) if original else original
