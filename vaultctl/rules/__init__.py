"""The compliance rules: one registry, one small class per rule, one engine.

A rule declares its id, titles (en, zh), seed clause, parameters with
defaults and default level, and implements any of three hooks, each reading
the shared :class:`~vaultctl.rules.state.State` (never files):

* ``step(e, s)`` — before ``e`` is applied to ``s``;
* ``after(e, s)`` — after it is applied (interval rules keep their clocks here);
* ``end(s)`` — once, at the end of the log.

Each hook yields :class:`Finding` objects made with :meth:`Rule.hit`. Adding a
rule touches one module: decorate the class with ``@rule``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from vaultctl.core.errors import ConfigError
from vaultctl.core.schema import ENTRY_TYPES, LEVELS
from vaultctl.rules.state import Event, State


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One compliance finding: which rule, where, who, why, and the clause."""

    rule: str
    level: str
    seq: int | None
    ts: str | None
    officers: tuple[str, ...]
    message: str
    message_zh: str
    clause: str
    # NOTE: the commands that put it right, one each (never split from text,
    # so no value from a log can make a line of its own)
    fix: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "level": self.level,
            "seq": self.seq,
            "ts": self.ts,
            "officers": list(self.officers),
            "message": self.message,
            "message_zh": self.message_zh,
            "clause": self.clause,
            "fix": list(self.fix),
        }

    def text(self, lang: str) -> str:
        return self.message_zh if lang == "zh" else self.message


@dataclass(frozen=True, slots=True, kw_only=True)
class Owed:
    """Something an entry made due: an incident to report, a camera to restart.

    ``action`` is ``incident`` (with the incident ``kind`` and the ``refs`` it
    settles) or ``cctv-on`` (``camera``); ``due`` is None when there is no
    deadline, only "at once". Derived from the rules' own memory, so what
    ``status`` lists and what ``verify`` will report never disagree.
    """

    rule: str
    seq: int
    due: datetime | None
    action: str
    kind: str
    refs: tuple[int, ...]
    camera: str
    message: str
    message_zh: str

    def text(self, lang: str) -> str:
        return self.message_zh if lang == "zh" else self.message


class Rule:
    """Base of every rule; subclasses set the class attributes and hooks."""

    id: ClassVar[str]
    title: ClassVar[str]
    title_zh: ClassVar[str]
    clause: ClassVar[str]
    params: ClassVar[Mapping[str, int]] = {}
    default_level: ClassVar[str] = "error"
    example_ok: ClassVar[str] = ""
    example_bad: ClassVar[str] = ""
    # NOTE: the entry types ``step`` and ``after`` look at (None: every entry,
    # e.g. a rule whose clock runs on any entry's time); the engine calls
    # them for those only (issue 24: most rules concern one or two types)
    on: ClassVar[frozenset[str] | None] = None

    def __init__(self, params: Mapping[str, int], level: str, now: datetime) -> None:
        self.p = params_in_force(type(self), {"params": params})
        # NOTE: every parameter as a duration once, not at each entry
        self.td = {name: timedelta(minutes=v) for name, v in self.p.items()}
        self.level = level
        self.now = now
        self.reset()

    def reset(self) -> None:
        """Set up the rule's own memory (interval rules keep clocks here)."""

    def minutes(self, name: str) -> timedelta:
        return self.td[name]

    def hit(
        self,
        e: Event | None,
        en: str,
        zh: str,
        officers: Iterable[str] | None = None,
        s: State | None = None,
        fix: str | Iterable[str] = (),
    ) -> Finding:
        """A finding at entry ``e`` (or at the end of the log, from ``s.last``);
        ``fix``: the command that puts it right, named in a refusal."""
        at = e if e is not None else (s.last if s is not None else None)
        who = tuple(officers) if officers is not None else (at.signers if at else ())
        return Finding(
            rule=self.id,
            level=self.level,
            seq=at.seq if at else None,
            ts=at.ts if at else None,
            officers=who,
            message=en,
            message_zh=zh,
            clause=self.clause,
            fix=(fix,) if isinstance(fix, str) else tuple(fix),
        )

    def genesis(self, e: Event, s: State) -> Iterable[Finding]:
        """Once, right after the genesis is applied (the site as declared)."""
        return ()

    def step(self, e: Event, s: State) -> Iterable[Finding]:
        return ()

    def after(self, e: Event, s: State) -> Iterable[Finding]:
        return ()

    def end(self, s: State) -> Iterable[Finding]:
        return ()

    def owed(self, s: State) -> Iterable[Owed]:
        """What the log owes now because of this rule (none by default)."""
        return ()


REGISTRY: dict[str, type[Rule]] = {}


def rule(cls: type[Rule]) -> type[Rule]:
    """Register a rule class; a duplicate id or parameter name fails at import."""
    if cls.id in REGISTRY:
        raise ValueError(f"duplicate rule id {cls.id}")
    taken = {p for other in REGISTRY.values() for p in other.params}
    clash = taken & set(cls.params)
    if clash:
        raise ValueError(f"rule {cls.id}: parameter {sorted(clash)[0]} already used")
    if cls.default_level not in LEVELS:
        raise ValueError(f"rule {cls.id}: bad default level {cls.default_level}")
    REGISTRY[cls.id] = cls
    return cls


def all_params() -> dict[str, tuple[str, int]]:
    """Every parameter name -> (rule id, default)."""
    return {p: (r.id, d) for r in REGISTRY.values() for p, d in r.params.items()}


def validate_policy(policy: Mapping[str, Any]) -> None:
    """Refuse a policy of the wrong shape, unknown parameters, unknown rule ids
    and bad levels."""
    if not isinstance(policy, Mapping):
        raise ConfigError(f"policy: expected a table, got {policy!r}")
    for part in ("params", "levels"):
        if not isinstance(policy.get(part, {}), Mapping):
            raise ConfigError(f"policy.{part}: expected a table")
    known = all_params()
    for name, value in policy.get("params", {}).items():
        if name not in known:
            raise ConfigError(
                f"policy.{name}: unknown parameter (known: {', '.join(sorted(known))})"
            )
        # NOTE: bounded, so that no time arithmetic can overflow on any date
        top = 1200 if name.endswith("_months") else 527040
        if type(value) is not int or not 0 <= value <= top:
            raise ConfigError(
                f"policy.{name}: expected a whole number from 0 to {top}, got {value!r}"
            )
    for rule_id, level in policy.get("levels", {}).items():
        if rule_id not in REGISTRY:
            raise ConfigError(f"policy.levels.{rule_id}: unknown rule")
        if level not in LEVELS:
            raise ConfigError(f"policy.levels.{rule_id}: expected error, warn or off")


def params_in_force(cls: type[Rule], policy: Mapping[str, Any]) -> dict[str, int]:
    """A rule's parameters: the site policy's value, else the default."""
    chosen = policy.get("params", {})
    return {k: int(chosen.get(k, v)) for k, v in cls.params.items()}


def levels_in_force(policy: Mapping[str, Any]) -> dict[str, str]:
    chosen = policy.get("levels", {})
    return {rid: chosen.get(rid, cls.default_level) for rid, cls in REGISTRY.items()}


class Engine:
    """State plus rule instances, fed one entry at a time."""

    def __init__(self, now: datetime) -> None:
        self.state = State()
        self.rules: list[Rule] = []
        self.off: list[str] = []
        self.now = now
        # NOTE: per entry type, the indices of the rules whose step (after)
        # is called: plain lists of ints, so a snapshot stores them as they are
        self.steps: dict[str, list[int]] = {}
        self.afters: dict[str, list[int]] = {}

    def set_clock(self, now: datetime) -> None:
        """Judge from now on against ``now`` (a writer resuming an engine
        replayed by an earlier one judges against its own clock)."""
        self.now = now
        for rule in self.rules:
            rule.now = now

    def _start_rules(self) -> None:
        policy = self.state.policy
        levels = levels_in_force(policy)
        self.off = sorted(rid for rid, lv in levels.items() if lv == "off")
        self.rules = [
            cls(policy.get("params", {}), levels[rid], self.now)
            for rid, cls in sorted(REGISTRY.items())
            if levels[rid] != "off"
        ]
        for kind in ENTRY_TYPES:
            self.steps[kind] = _called(self.rules, "step", kind)
            self.afters[kind] = _called(self.rules, "after", kind)

    def feed(self, e: Event) -> list[Finding]:
        """Check one entry against every rule in force, then apply it."""
        if self.state.genesis is None:
            self.state.apply(e)
            if self.state.genesis is None:
                return []
            self._start_rules()
            return [f for r in self.rules for f in r.genesis(e, self.state)]
        rules, state = self.rules, self.state
        steps, afters = self.steps.get(e.type), self.afters.get(e.type)
        if steps is None or afters is None:  # NOTE: a type no schema knows
            steps = afters = list(range(len(rules)))
        found = [f for i in steps for f in rules[i].step(e, state)]
        state.apply(e)
        found += [f for i in afters for f in rules[i].after(e, state)]
        return found

    def preview(self, e: Event) -> list[Finding]:
        """What ``feed`` would report for ``e``, leaving this engine unchanged."""
        return copy.deepcopy(self).feed(e)

    def finish(self) -> list[Finding]:
        return [f for r in self.rules for f in r.end(self.state)]

    def owed(self) -> list[Owed]:
        """Everything owed now, the earliest deadline first, then by entry."""
        found = [o for r in self.rules for o in r.owed(self.state)]
        far = datetime.max.replace(tzinfo=UTC)
        return sorted(found, key=lambda o: (o.due or far, o.seq))

    def owed_by(self, e: Event) -> list[Owed]:
        """What ``e`` would make owed, leaving this engine unchanged."""
        after = copy.deepcopy(self)
        after.feed(e)
        return [o for o in after.owed() if o.seq == e.seq]


def _called(rules: list[Rule], hook: str, kind: str) -> list[int]:
    """The rules whose ``hook`` can say anything about an entry of ``kind``:
    those that define it, and look at that type (or at every one)."""
    return [
        i
        for i, r in enumerate(rules)
        if getattr(type(r), hook) is not getattr(Rule, hook)
        and (r.on is None or kind in r.on)
    ]


class Timers:
    """Things begun at an entry that must end within a limit (a door left
    open, a member away): each one overdue is yielded once."""

    def __init__(self) -> None:
        self.since: dict[str, tuple[datetime, Event]] = {}

    def start(self, key: str, e: Event) -> None:
        self.since.setdefault(key, (e.moment, e))

    def stop(self, key: str) -> None:
        self.since.pop(key, None)

    def clear(self) -> None:
        self.since.clear()

    def overdue(
        self, moment: datetime, limit: timedelta
    ) -> list[tuple[str, datetime, Event]]:
        """Each one begun more than ``limit`` before ``moment``, once."""
        if not self.since:
            return []
        late = [
            (key, since, began)
            for key, (since, began) in sorted(self.since.items())
            if moment - since > limit
        ]
        for key, _, _ in late:
            del self.since[key]
        return late


class Pending:
    """Events that must be followed by an incident within a window (SEAL, CCTV)."""

    def __init__(self, kinds: tuple[str, ...], window: timedelta) -> None:
        self.kinds = kinds
        self.window = window
        self.open: list[tuple[Event, str, str]] = []
        self.late: list[tuple[Event, str, str]] = []  # past due, still owed
        self.kind_of: dict[int, str] = {}

    def expect(self, e: Event, en: str, zh: str, kind: str = "") -> None:
        self.open.append((e, en, zh))
        self.kind_of.setdefault(e.seq, kind or self.kinds[0])

    def owed(self, rule_id: str) -> Iterator[Owed]:
        """One incident owed per open entry, with its deadline."""
        by_seq: dict[int, list[tuple[Event, str, str]]] = {}
        for p in self.late + self.open:
            by_seq.setdefault(p[0].seq, []).append(p)
        for seq, items in by_seq.items():
            e = items[0][0]
            yield Owed(
                rule=rule_id,
                seq=seq,
                due=e.moment + self.window,
                action="incident",
                kind=self.kind_of.get(seq, self.kinds[0]),
                refs=(seq,),
                camera=str(e.body.get("camera", "")),
                message="; ".join(p[1] for p in items),
                message_zh="；".join(p[2] for p in items),
            )

    def settle(self, e: Event) -> None:
        """An incident closes the entries it refers to; one that refers to none
        closes everything its kind covers."""
        if e.type != "incident":
            return
        refs = e.body["refs"]
        if refs:
            self.open = [p for p in self.open if p[0].seq not in refs]
            self.late = [p for p in self.late if p[0].seq not in refs]
        elif e.body["kind"] in self.kinds:
            self.open, self.late = [], []

    def overdue(self, moment: datetime) -> list[tuple[Event, str, str]]:
        """The open entries past their window, now moved to ``late``."""
        if not self.open:
            return []
        late = [moment - p[0].moment > self.window for p in self.open]
        due = [p for p, is_late in zip(self.open, late, strict=True) if is_late]
        self.open = [
            p for p, is_late in zip(self.open, late, strict=True) if not is_late
        ]
        self.late += due
        return due


def _load() -> None:
    from vaultctl.rules import duty, keys, papers, people, room, watch  # noqa: F401


_load()
