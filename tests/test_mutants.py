"""Tests that pin behaviour a manual mutation-testing pass found unpinned.

Each test names, in its docstring, the small change to ``vaultctl/`` that
survived the rest of the suite and that this test now kills.
"""

from __future__ import annotations

from typing import Any

import pytest

from vaultctl import rules
from vaultctl.core import keys
from vaultctl.core.errors import ConfigError, RefusedError
from vaultctl.core.model import Entry
from vaultctl.core.roster import Roster
from vaultctl.rules.state import State
from vaultctl.store import config, writer
from vaultctl.tlog import anchors, chain, checkpoint, merkle
from vaultctl.tlog.anchors import Anchor

from .conftest import OUTSIDER, Site, private_key
from .story import CREW_A, CREW_B, NOW, Story, setup, t
from .test_rules import delete_footage, finished, new_story, policy_text, prepare
from .test_tamper import WEAK, append_unchecked, codes_at, forge
from .test_tlog import mismatch, notes_story, run, to_vault


def officer(oid: str, *raws: bytes) -> dict[str, Any]:
    return {
        "id": oid,
        "name": oid,
        "roles": ["custodian"],
        "conflict": False,
        "keys": [
            {"key": keys.key_id(r), "public_key": keys.format_public_key(r)}
            for r in raws
        ],
    }


def raw(oid: str) -> bytes:
    return keys.raw_public(private_key(oid))


def note(signers: list[writer.Signer]) -> Entry:
    return writer.build(
        State(), "2026-06-06T09:00:00+08:00", "note", {"text": "x"}, signers
    )


def sig_codes(entry: Entry, roster: Roster) -> list[str]:
    return [code for code, _ in chain.check_signatures(entry, roster)]


# --- chain.check_signatures: defence beyond the roster's own invariants -----------


def test_a_weak_key_on_the_roster_never_signs() -> None:
    """Kills chain.py ``elif keys.is_weak(record.raw)`` being dropped: a
    small-order key that reached a roster by some other path (a replayed,
    unchecked genesis) never signs, and is named ``weak-key`` (issue 22: it
    used to be reported as ``revoked-key``)."""
    roster = Roster([officer("O-003", raw("O-003")), officer("O-005", WEAK[0])])
    entry = note([writer.Signer("O-003", private_key("O-003"))])
    sigs = [s.to_dict() for s in entry.sigs]
    sigs.append({"by": "O-005", "key": keys.key_id(WEAK[0]), "sig": "A" * 86 + "=="})
    forged = Entry.from_dict({**entry.to_dict(), "sigs": sigs})
    # NOTE: O-003 signed a one-signer list, so its signature fails as well
    assert sig_codes(forged, roster) == [
        "bad-signature",
        "weak-key",
        "too-few-signatures",
    ]


def test_one_key_listed_for_two_officers_counts_once() -> None:
    """Kills chain.py ``sig.by in officers or record.raw in raws`` ->
    ``sig.by in officers``: one private key cannot stand for two officers."""
    shared = raw("O-003")
    roster = Roster([officer("O-003", shared), officer("O-005", shared)])
    entry = note(
        [
            writer.Signer("O-003", private_key("O-003")),
            writer.Signer("O-005", private_key("O-003")),
        ]
    )
    assert sig_codes(entry, roster) == ["duplicate-signer", "too-few-signatures"]


def test_one_officer_with_two_keys_counts_once(vault: Site) -> None:
    """Kills chain.py ``sig.by in officers or record.raw in raws`` ->
    ``record.raw in raws``: an officer who holds two keys is still one person."""
    second = {
        "key": keys.key_id(raw(OUTSIDER)),
        "public_key": keys.format_public_key(raw(OUTSIDER)),
    }
    vault.append(
        "roster",
        {"action": "add-key", "id": "O-003", "key": second},
        "2026-06-06T09:50:00+08:00",
        ("O-001", "O-002"),
    )
    both = [
        writer.Signer("O-003", private_key("O-003")),
        writer.Signer("O-003", private_key(OUTSIDER)),
    ]
    vault.write_lines([*vault.lines(), forge(vault, 5, both)])
    assert codes_at(vault) == [(6, "duplicate-signer"), (6, "too-few-signatures")]


# --- chain.ChainVerifier: one damaged line condemns that line only ----------------


def test_bad_json_line_does_not_condemn_the_next_seq(vault: Site) -> None:
    """Kills chain.py: dropping ``self._expected_seq += 1`` after bad-json (the
    next, sound line would be reported as a seq-gap)."""
    lines = vault.lines()
    lines[2] = lines[2][:50] + b"\n"
    vault.write_lines(lines)
    assert codes_at(vault) == [(3, "bad-json")]


def test_bad_schema_line_does_not_condemn_the_next_seq(vault: Site) -> None:
    """Kills chain.py: dropping ``self._advance_seq(self._seq)`` after a
    bad-schema parse (the next line would be reported as a seq-gap)."""
    lines = vault.lines()
    lines[2] = lines[2].replace(b'{"body"', b'{"zz":1,"body"', 1)
    vault.write_lines(lines)
    assert codes_at(vault) == [(3, "bad-schema")]


def test_after_swapped_lines_the_next_line_is_clean(vault: Site) -> None:
    """Kills chain.py ``max(self._expected_seq, seq + 1)`` -> ``seq + 1``: a
    line whose seq goes back must not pull the expected seq back with it."""
    lines = vault.lines()
    lines[1], lines[2] = lines[2], lines[1]
    vault.write_lines(lines)
    found = codes_at(vault)
    assert found == [
        (2, "seq-gap"),
        (2, "prev-mismatch"),
        (3, "seq-gap"),
        (3, "prev-mismatch"),
        (4, "prev-mismatch"),  # its prev is the hash of the line now on line 2
    ]


def test_a_genesis_on_line_two_is_not_trusted(vault: Site) -> None:
    """Kills chain.py: dropping ``and self.entries == 1`` from the genesis test
    (a junk first line would let line 2 set the roster)."""
    vault.write_lines([b"junk\n", *vault.lines()])
    found = codes_at(vault)
    assert (2, "bad-schema") in found
    assert (3, "unknown-signer") in found


def test_a_log_without_a_roster_says_so_once(vault: Site) -> None:
    """Kills chain.py: dropping ``self._no_roster_reported = True`` (every later
    line would repeat the same 'no valid genesis' unknown-signer finding)."""
    lines = vault.lines()
    lines[0] = lines[0][:40] + b"\n"
    vault.write_lines(lines)
    found = codes_at(vault)
    assert [line for line, code in found if code == "unknown-signer"] == [2]


def test_a_second_genesis_is_refused_by_verify(vault: Site) -> None:
    """Kills chain.py: deleting the ``genesis entry after the first line`` check
    (a signed genesis at seq 4 would otherwise pass as an ordinary entry)."""
    append_unchecked(vault, "genesis", config.load(vault.config), ("O-001", "O-002"))
    assert codes_at(vault) == [(5, "bad-schema")]


def test_an_anchor_with_neither_root_nor_code_matches_nothing() -> None:
    """Kills anchors.py ``self.code is not None and …`` -> ``self.code is None
    or …``: an anchor with nothing to compare must fail closed."""
    assert not Anchor(label="empty", size=1).matches(bytes(32))


# --- anchors: a checkpoint of another log, and what counts as confirmed -----------


def _note_for(tmp_path: Any, who: tuple[str, ...], log: str | None = None) -> tuple:
    vault = to_vault(notes_story(tmp_path, 4), tmp_path / "v")
    state = writer.load_state(vault)
    lines = [raw for raw, complete in vault.lines() if complete]
    text = checkpoint.Checkpoint(
        origin=checkpoint.make_origin(state.site["id"], log or state.log),
        size=len(lines),
        root=merkle.root_of(lines),
    ).note_text()
    signed = checkpoint.sign_note(text, [(i, private_key(i)) for i in who])
    return vault, anchors.from_note(signed, "note")


def test_a_well_signed_checkpoint_of_another_origin_is_a_mismatch(tmp_path) -> None:
    """Kills anchors.py: deleting the ``a.origin != origin`` check (a note over
    the same root, properly co-signed, but naming another log)."""
    vault, anchor = _note_for(tmp_path, ("O-001", "O-002"), log="0" * 32)
    rep = run(vault, anchor)
    assert any("is not this log" in m for m in mismatch(rep))
    assert rep.anchors_ok == []


def test_a_confirmed_root_with_a_bad_note_is_not_listed_ok(tmp_path) -> None:
    """Kills anchors.py ``ok``: dropping ``if id(a) not in bad`` (a note whose
    root matches but that one officer signed alone was listed as confirmed)."""
    vault, anchor = _note_for(tmp_path, ("O-001",))
    rep = run(vault, anchor)
    assert mismatch(rep)
    assert rep.anchors_ok == []


def test_a_good_note_is_listed_ok(tmp_path) -> None:
    """The positive control of the two tests above."""
    vault, anchor = _note_for(tmp_path, ("O-001", "O-002"))
    rep = run(vault, anchor)
    assert rep.integrity == []
    assert rep.anchors_ok == ["note"]


# --- rules: policy bounds ------------------------------------------------------------


def test_policy_parameters_at_their_upper_bound_are_accepted() -> None:
    """Kills rules/__init__.py ``0 <= value <= top`` -> ``0 <= value < top``:
    the documented maximum (a year of minutes, 100 years of months) is valid."""
    rules.validate_policy({"params": {"time_ahead_minutes": 527040}})
    rules.validate_policy({"params": {"footage_keep_months": 1200}})
    with pytest.raises(ConfigError):
        rules.validate_policy({"params": {"time_ahead_minutes": 527041}})
    with pytest.raises(ConfigError):
        rules.validate_policy({"params": {"footage_keep_months": 1201}})


# --- FOOTAGE: the edges of the protected footage ------------------------------------


def test_footage_up_to_the_first_receipt_may_be_deleted(tmp_path) -> None:
    """Kills watch.py ``cut > kept_from`` -> ``cut >= kept_from``: deleting the
    footage before 10:05, the moment the papers came in, destroys none of it."""
    s = finished(tmp_path)
    delete_footage(s, "2026-07-01", "2026-06-06T10:05:00+08:00")
    assert s.rules() == []


def test_footage_of_exam_start_day_is_kept_when_no_papers_came(tmp_path) -> None:
    """Kills watch.py ``before >= start`` -> ``before > start``: with no receipt,
    footage from exam_start's date on is protected, that date included."""
    s = new_story(tmp_path)
    prepare(s)
    delete_footage(s, "2026-07-01", "2026-06-07T10:00:00+08:00")
    assert s.rules() == ["FOOTAGE"]


# --- SEAL: the serial is compared on dispatch too -----------------------------------


def test_dispatch_with_another_seal_than_the_return_is_a_seal_finding(
    tmp_path,
) -> None:
    """Kills papers.py ``e.type in ("issue", "dispatch")`` -> ``("issue",)``: the
    answer sheets came back under seal SA-1 but leave under SA-9."""
    s = Story(tmp_path)
    setup(s)
    s.open_close("door", "D1", t("10:00"), ("O-002", "O-003"))
    s.open_close("cabinet", "C1", t("10:01"), ("O-001", "O-002"))
    s.receipt(t("10:05"))
    s.handover(CREW_A, CREW_B, t("16:00"))
    move = {"from": "O-003", "to": "O-005"}
    s.custody("handover", "K-D2", t("16:00"), ("O-003", "O-005"), **move)
    exam = "2026-06-07"
    s.handover(CREW_B, CREW_A, t("04:00", exam), "B", "A2")  # 12-hour shifts at most
    back = {"from": "O-005", "to": "O-003"}
    s.custody("handover", "K-D2", t("04:00", exam), ("O-005", "O-003"), **back)
    s.issue(t("08:30", exam))
    s.give_back(t("11:45", exam))  # comes back sealed SA-1
    out = {"to": "外送车", "packets": [{"id": "P-E01", "seal": "SA-9"}], "count": 1}
    out |= {"seal_checked": True, "cctv": True}
    s.add("dispatch", out, t("12:30", exam), ("O-002", "O-005"))
    end = {"action": "end", "shift": "A2"}
    s.add("shift", end, t("13:00", exam), ("O-003", "O-004"))
    assert s.rules() == ["SEAL"]


# --- writer.precheck: only errors refuse ---------------------------------------------


def test_a_warn_level_finding_does_not_refuse_the_entry(tmp_path) -> None:
    """Kills writer.py ``f.level == "error" and f.seq == draft.seq`` ->
    ``f.seq == draft.seq``: a rule set to warn reports but never refuses."""
    for level, refused in (("warn", False), ("error", True)):
        (tmp_path / level).mkdir()
        s = Story(tmp_path / level, policy=policy_text(None, {"TIME-ORDER": level}))
        s.add("note", {"text": "a"}, t("12:00"), ("O-003", "O-004"))
        back = writer.draft(s.engine, t("09:00"), "note", {"text": "b"}, ("O-003",))
        if refused:
            with pytest.raises(RefusedError, match="TIME-ORDER"):
                writer.precheck(s.engine, back, force=False)
        else:
            found = writer.precheck(s.engine, back, force=False)
            assert [f.rule for f in found] == ["TIME-ORDER"]


def test_a_replay_of_a_ledger_that_is_gone_is_not_reused(vault: Site) -> None:
    """Kills writer.py ``_moved``: ``return engine.state.entries != 0`` ->
    ``return False`` (a stale replay would append seq 4 to an empty ledger)."""
    stale = writer.load_engine(vault.vault, NOW)
    vault.ledger.unlink()
    with pytest.raises(RefusedError, match="genesis"):
        writer.append(
            vault.vault,
            "note",
            {"text": "x"},
            "2026-06-06T10:00:00+08:00",
            vault.signers("O-003", "O-004"),
            engine=stale,
        )
    assert not vault.ledger.exists()
