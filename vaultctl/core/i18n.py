"""Message catalogs: which language a run speaks, and the functions that translate.

The catalogs are standard gettext files, ``vaultctl/locale/zh/LC_MESSAGES/
vaultctl.po`` and its compiled ``.mo`` (committed beside it; a test checks the
``.mo`` is up to date). English is the source language and the default.

The language is chosen once per run, early, from ``--lang`` in the arguments or
the locale variables (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, first one set), so
that ``--help`` is already in it. Click's own messages ("Missing option",
"Usage:") go through the same catalog: click calls ``gettext.gettext``, and
:func:`patch_click` points those names at this module.

Pure: the standard library only; no click import here.
"""

from __future__ import annotations

import gettext
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "vaultctl"
LANGS = ("en", "zh")

_active: gettext.NullTranslations = gettext.NullTranslations()
_lang = "en"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def _(message: str) -> str:
    """``message`` in the language of this run."""
    return _active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n``, translated."""
    return _active.ngettext(singular, plural, n)


def current() -> str:
    """The language of this run: ``en`` or ``zh``."""
    return _lang


def use(lang: str) -> None:
    """Speak ``lang`` from now on (``en`` needs no catalog)."""
    global _active, _lang
    _lang = lang if lang in LANGS else "en"
    if _lang == "en":
        _active = gettext.NullTranslations()
        return
    _active = gettext.translation(
        DOMAIN, localedir=str(LOCALE_DIR), languages=[_lang], fallback=True
    )


def translate_for(lang: str, message: str) -> str:
    """``message`` in ``lang`` regardless of the run's language (JSON ``*_zh``)."""
    if lang == "en":
        return message
    found = gettext.translation(
        DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True
    )
    return found.gettext(message)


def from_locale(environ: Mapping[str, str]) -> str:
    """``zh`` when the first locale variable set names Chinese, else ``en``."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def choose(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The run's language: ``--lang X`` / ``--lang=X`` in ``argv``, else the locale."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGS:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg[7:] in LANGS:
            return arg[7:]
    return from_locale(environ)


def patch_click(modules: Sequence[ModuleType] | None = None) -> None:
    """Route click's own messages through this catalog.

    Click's modules do ``from gettext import gettext as _`` (and ``ngettext``);
    replacing those module globals is the supported-by-design way to translate
    them without touching the process-wide gettext domain or the environment.
    """
    found = modules or [
        m for n, m in sys.modules.items() if n == "click" or n.startswith("click.")
    ]
    for module in found:
        if getattr(module, "_", None) is gettext.gettext:
            module._ = _  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = ngettext  # type: ignore[attr-defined]


def translation(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` (cached by :mod:`gettext`), English = none."""
    if lang not in LANGS or lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(
        DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True
    )


def localise_message(message: str, lang: str | None = None) -> str:
    """A core message in ``lang`` (default: this run's).

    A :class:`vaultctl.core.messages.Text` is rendered from its translated
    template and its values (each value that is a ``Text`` in turn), a
    ``Word`` is looked up; any other string is shown as it is.
    """
    lang = lang or _lang
    template = getattr(message, "template", None)
    params = getattr(message, "params", None)
    if lang == "en" or template is None:
        return message
    if params is None:  # NOTE: a messages.Word: looked up, never formatted
        return translation(lang).gettext(template)
    shown = {
        k: localise_message(v, lang) if isinstance(v, str) else v
        for k, v in params.items()
    }
    return translation(lang).gettext(template).format(**shown)


def _bare(message: str) -> bool:
    """Whether nothing of ``message`` past its place can be translated."""
    from vaultctl.core.messages import placed

    if getattr(message, "params", None) is None:
        return True
    found = placed(message)
    return found is not None and _bare(found[1])


def integrity_message(code: str, message: str, lang: str) -> str:
    """An integrity finding in ``lang``: the message, or its code's name first."""
    shown = localise_message(message, lang)
    if lang != "en" and _bare(message):
        from vaultctl.core.messages import CODES

        name = translation(lang).gettext(CODES.get(code, code))
        return f"{name}：{message}"
    return shown
