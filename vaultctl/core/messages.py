"""Messages the core writes: English text that remembers how it was made.

The core builds every message a user may read as a :class:`Text`: a ``str``
(so it prints, compares and goes into ``verify --json``'s ``message`` as
English) that also keeps its template (marked with ``N_`` for the catalog)
and the values put into it. The edge renders it in another language from the
same catalog (:func:`vaultctl.core.i18n.localise_message`): the template is
translated and formatted with the same values, a value that is itself a
``Text`` in turn. Nothing is parsed back out of English text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vaultctl.core.i18n import N_

# NOTE: "<place>: <message>", for a message that says where it happened
AT = N_("{where}: {message}")
CANNOT_READ = N_("{path}: cannot read ({why})")
EXISTS = N_("{path}: already exists, not overwritten")


class Text(str):
    """An English message with its template and values (see the module)."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Text:
        self = super().__new__(cls, template.format(**params))
        self.template = template
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # NOTE: across a worker process (pickle) it stays a Text
        return (_rebuild, (self.template, self.params))


def _rebuild(template: str, params: dict[str, Any]) -> Text:
    return Text(template, **params)


class Word(str):
    """A fixed word of the format (an incident's kind, a camera's state): shown
    as written in English, from the catalog in another language, and never
    formatted (it may come from a log)."""

    @property
    def template(self) -> str:
        return str(self)

    params = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (Word, (str(self),))


# NOTE: the fixed words the pages show, for the catalog (see Word)
WORDS = (
    N_("seal-broken"),
    N_("count-mismatch"),
    N_("leak"),
    N_("theft"),
    N_("intrusion"),
    N_("cctv-fault"),
    N_("other"),
    N_("on"),
    N_("off"),
    N_("fault"),
)


def at(where: object, message: str) -> str:
    """``where: message``, kept structured when ``message`` is a :class:`Text`."""
    return Text(AT, where=where, message=message)


def placed(message: str) -> tuple[str, str] | None:
    """``(where, message)`` of a message built by :func:`at`, else None."""
    if getattr(message, "template", None) != AT:
        return None
    params = message.params  # type: ignore[attr-defined]
    return params["where"], params["message"]


def joined(parts: Sequence[str], sep: str = "; ") -> str:
    """``parts`` one after another, each rendered on its own."""
    names = [f"p{i}" for i in range(len(parts))]
    template = sep.join("{" + n + "}" for n in names)
    return Text(template, **dict(zip(names, parts, strict=True)))


CODES = {
    "bad-json": N_("not valid JSON"),
    "bad-schema": N_("wrong shape"),
    "non-canonical": N_("not in canonical form"),
    "torn-line": N_("torn last line"),
    "wrong-version": N_("wrong format version"),
    "wrong-log": N_("entry of another log"),
    "seq-gap": N_("sequence gap"),
    "prev-mismatch": N_("chain broken"),
    "hash-mismatch": N_("hash mismatch"),
    "bad-signature": N_("bad signature"),
    "unknown-signer": N_("unknown signer"),
    "unknown-key": N_("unknown key"),
    "revoked-key": N_("revoked key"),
    "duplicate-signer": N_("signer twice"),
    "too-few-signatures": N_("too few signatures"),
    "checkpoint-mismatch": N_("does not extend the checkpoint"),
    "bad-checkpoint": N_("bad checkpoint"),
    "bad-evidence": N_("bad evidence file"),
    "weak-key": N_("weak key"),
    "unpinned-site": N_("site not pinned"),
    "genesis-mismatch": N_("not the pinned genesis"),
    "previous-unreadable": N_("earlier bundle unreadable"),
    "previous-mismatch": N_("does not extend the earlier bundle"),
    "previous-claim": N_("earlier bundle claims a site"),
    "manifest-mismatch": N_("manifest does not match"),
}
