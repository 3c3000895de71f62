"""The tamper corpus: one case per attack on the ledger, each with its code.

Every case edits the bytes of a real signed vault and expects ``verify`` to
fail with exit 3 and the named integrity code on the right line.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultctl import verify
from vaultctl.core import canonical
from vaultctl.core.errors import RefusedError
from vaultctl.core.model import Entry
from vaultctl.rules.state import replay
from vaultctl.store import config, ledger, writer
from vaultctl.store.ledger import Vault

from .conftest import GENESIS_AT, OUTSIDER, Site, private_key


def entries(site: Site) -> list[Entry]:
    """The ledger's entries as written, without verifying them."""
    return [Entry.from_dict(canonical.parse(raw)) for raw, _ in site.vault.lines()]


def edit(line: bytes, change: Callable[[dict], None], rehash: bool = False) -> bytes:
    obj = json.loads(line)
    change(obj)
    if rehash:
        obj["hash"] = canonical.entry_hash(obj)
    return canonical.encode(obj) + b"\n"


def forge(
    site: Site, upto: int, signers: list[writer.Signer], body: dict | None = None
) -> bytes:
    """An entry built on the first ``upto`` entries, signed by ``signers``."""
    state = replay(entries(site)[:upto])
    entry = writer.build(
        state, "2026-06-06T10:00:00+08:00", "note", body or {"text": "伪造"}, signers
    )
    return canonical.encode(entry.to_dict()) + b"\n"


def codes_at(site: Site) -> list[tuple[int, str]]:
    report = verify.run(site.vault.lines())
    assert report.exit_code == verify.EXIT_INTEGRITY
    return [(f.line, f.code) for f in report.integrity]


def test_untouched_vault_is_clean(vault: Site) -> None:
    report = verify.run(vault.vault.lines())
    assert report.integrity == []
    assert report.exit_code == 0
    assert report.entries == 4


def test_changed_body_byte(vault: Site) -> None:
    lines = vault.lines()
    lines[2] = lines[2].replace("记录 1".encode(), "记录 7".encode())
    vault.write_lines(lines)
    found = codes_at(vault)
    assert (3, "hash-mismatch") in found
    assert (3, "bad-signature") in found
    assert all(line == 3 for line, _ in found)  # the next line is not condemned


def test_changed_ts(vault: Site) -> None:
    lines = vault.lines()
    lines[1] = lines[1].replace(b"T09:00:00", b"T08:59:00")
    vault.write_lines(lines)
    assert set(codes_at(vault)) == {
        (2, "hash-mismatch"),
        (2, "bad-signature"),
        (2, "too-few-signatures"),
    }


def test_changed_ts_rehashed_still_fails_signature(vault: Site) -> None:
    lines = vault.lines()
    lines[1] = edit(lines[1], lambda o: o.update(ts="2026-06-06T08:30:00+08:00"), True)
    vault.write_lines(lines)
    found = codes_at(vault)
    assert (2, "bad-signature") in found
    assert (3, "prev-mismatch") in found


def test_deleted_entry(vault: Site) -> None:
    lines = vault.lines()
    del lines[2]
    vault.write_lines(lines)
    assert codes_at(vault) == [(3, "seq-gap"), (3, "prev-mismatch")]


def test_swapped_entries(vault: Site) -> None:
    lines = vault.lines()
    lines[1], lines[2] = lines[2], lines[1]
    vault.write_lines(lines)
    found = codes_at(vault)
    assert (2, "seq-gap") in found
    assert (2, "prev-mismatch") in found
    assert (3, "seq-gap") in found


def test_inserted_forged_entry(vault: Site) -> None:
    lines = vault.lines()
    forged = forge(vault, 2, vault.signers(OUTSIDER, "O-003"))
    lines.insert(2, forged)
    vault.write_lines(lines)
    found = codes_at(vault)
    assert (3, "unknown-signer") in found
    assert (4, "seq-gap") in found


def test_signature_copied_from_another_entry(vault: Site) -> None:
    lines = vault.lines()
    donor = json.loads(lines[1])["sigs"][0]["sig"]
    lines[2] = edit(lines[2], lambda o: o["sigs"][0].update(sig=donor), rehash=True)
    vault.write_lines(lines)
    found = codes_at(vault)
    assert (3, "bad-signature") in found
    assert (3, "too-few-signatures") in found


def test_one_signature_removed(vault: Site) -> None:
    """The signer list is signed: the signature left behind fails too."""
    lines = vault.lines()
    lines[3] = edit(lines[3], lambda o: o["sigs"].pop(), rehash=True)
    vault.write_lines(lines)
    assert codes_at(vault) == [(4, "bad-signature"), (4, "too-few-signatures")]


def test_a_third_signature_removed_breaks_the_other_two(vault: Site) -> None:
    """Issue 10: dropping a third signature and recomputing the hash used to
    verify (and hid a finding about the co-signer)."""
    lines = vault.lines()
    lines[3] = forge(vault, 3, vault.signers("O-003", "O-004", "O-005"))
    vault.write_lines(lines)
    assert verify.run(vault.vault.lines()).integrity == []
    lines[3] = edit(lines[3], lambda o: o["sigs"].pop(), rehash=True)
    vault.write_lines(lines)
    assert codes_at(vault) == [
        (4, "bad-signature"),
        (4, "bad-signature"),
        (4, "too-few-signatures"),
    ]


def test_a_signature_added_breaks_the_others(vault: Site) -> None:
    """A valid signature by a third officer over the two-signer bytes cannot
    be appended to the list."""
    lines = vault.lines()
    extra = forge(vault, 3, vault.signers("O-005", "O-006"))
    sig = json.loads(extra)["sigs"][0]
    lines[3] = edit(lines[3], lambda o: o["sigs"].append(sig), rehash=True)
    vault.write_lines(lines)
    assert (4, "bad-signature") in codes_at(vault)


def test_same_officer_signs_twice(vault: Site) -> None:
    lines = vault.lines()
    lines[3] = forge(vault, 3, vault.signers("O-003", "O-003"))
    vault.write_lines(lines)
    found = codes_at(vault)
    assert (4, "duplicate-signer") in found
    assert (4, "too-few-signatures") in found


def test_signature_by_key_not_on_roster(vault: Site) -> None:
    """Re-sign an entry with another key, claiming to be a rostered officer."""
    lines = vault.lines()
    lines[3] = forge(
        vault,
        3,
        [
            writer.Signer("O-003", private_key(OUTSIDER)),
            writer.Signer("O-004", private_key("O-004")),
        ],
    )
    vault.write_lines(lines)
    assert codes_at(vault) == [(4, "unknown-key"), (4, "too-few-signatures")]


def test_signer_not_on_roster(vault: Site) -> None:
    lines = vault.lines()
    lines[3] = forge(vault, 3, vault.signers(OUTSIDER, "O-004"))
    vault.write_lines(lines)
    assert codes_at(vault) == [(4, "unknown-signer"), (4, "too-few-signatures")]


def test_entry_replayed_from_another_log(vault: Site, tmp_path_factory) -> None:
    other = Site(tmp_path_factory.mktemp("other"))
    other.vault_dir.mkdir()
    body = config.load(vault.config)
    other.append("genesis", body, GENESIS_AT, ("O-001", "O-002"))
    other.append("note", {"text": "另一个考点"}, "2026-06-06T09:00:00+08:00")
    lines = vault.lines()
    vault.write_lines([*lines, other.lines()[1]])
    found = codes_at(vault)
    assert (5, "wrong-log") in found


def test_torn_last_line(vault: Site) -> None:
    data = vault.ledger.read_bytes()
    vault.ledger.write_bytes(data[:-40])
    assert codes_at(vault) == [(4, "torn-line")]


def test_duplicate_json_key(vault: Site) -> None:
    lines = vault.lines()
    lines[2] = lines[2].replace(b'{"body"', b'{"body":{},"body"', 1)
    vault.write_lines(lines)
    assert (3, "bad-json") in codes_at(vault)


@pytest.mark.parametrize(
    ("name", "mutate", "code"),
    [
        ("float", lambda b: b.replace(b'"seq":2', b'"seq":2.0'), "bad-json"),
        ("nan", lambda b: b.replace(b'"seq":2', b'"seq":NaN'), "bad-json"),
        (
            "invalid-utf8",
            lambda b: b.replace("记".encode(), b"\xff\xfe\xfd"),
            "bad-json",
        ),
        ("not-json", lambda b: b[:50] + b"\n", "bad-json"),
        ("whitespace", lambda b: b.replace(b'"seq":2', b'"seq": 2'), "non-canonical"),
        ("key-order", lambda b: b.replace(b'{"body"', b'{"zz":1,"body"'), "bad-schema"),
        (
            "null-in-body",
            lambda b: b.replace(b'{"text"', b'{"x":null,"text"'),
            "bad-schema",
        ),
        (
            "unknown-type",
            lambda b: b.replace(b'"type":"note"', b'"type":"memo"'),
            "bad-schema",
        ),
        ("version", lambda b: b.replace(b'"v":2', b'"v":1'), "wrong-version"),
        (
            "escaped-ascii",
            lambda b: b.replace(b'"type":"note"', b'"type":"\\u006eote"'),
            "non-canonical",
        ),
    ],
)
def test_byte_level_mutations(vault: Site, name: str, mutate, code: str) -> None:
    lines = vault.lines()
    lines[2] = mutate(lines[2])
    assert lines[2] != vault.lines()[2], name
    vault.write_lines(lines)
    assert (3, code) in codes_at(vault)


def test_non_nfc_string_is_non_canonical(vault: Site) -> None:
    lines = vault.lines()
    decomposed = "e\u0301"  # é as e + combining acute: not NFC
    lines[2] = edit(lines[2], lambda o: o["body"].update(text=decomposed), rehash=True)
    vault.write_lines(lines)
    assert (3, "non-canonical") in codes_at(vault)


def test_revoked_key_cannot_sign_later_even_backdated(vault: Site) -> None:
    key = entries(vault)[0].body["officers"][2]["keys"][0]["key"]  # O-003's key
    vault.append(
        "roster",
        {"action": "revoke-key", "id": "O-003", "key": key, "reason": "钥匙文件丢失"},
        "2026-06-06T10:00:00+08:00",
        ("O-001", "O-002"),
    )
    lines = vault.lines()
    # a backdated entry signed with the revoked key, chained correctly
    forged = forge(vault, 5, vault.signers("O-003", "O-004"))
    vault.write_lines([*lines, forged])
    assert codes_at(vault) == [(6, "revoked-key"), (6, "too-few-signatures")]


def test_genesis_signed_by_unlisted_key(site: Site) -> None:
    site.vault_dir.mkdir()
    state = replay([])
    entry = writer.build(
        state,
        GENESIS_AT,
        "genesis",
        config.load(site.config),
        site.signers(OUTSIDER, "O-001"),
    )
    site.ledger.write_bytes(canonical.encode(entry.to_dict()) + b"\n")
    assert (1, "unknown-signer") in codes_at(site)


def test_empty_ledger_is_an_integrity_failure(site: Site) -> None:
    site.vault_dir.mkdir()
    site.ledger.write_bytes(b"")
    report = verify.run(Vault(site.vault_dir).lines())
    assert report.exit_code == verify.EXIT_INTEGRITY


@pytest.fixture(scope="module")
def small_ledger(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from .story import Story, t

    story = Story(tmp_path_factory.mktemp("mut"))
    story.add("note", {"text": "交接班：门锁完好"}, t("09:00"), ("O-003", "O-004"))
    story.add("note", {"text": "巡查"}, t("09:30"), ("O-004", "O-009"))
    return b"".join(line + b"\n" for line in story.lines)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_single_byte_change_is_detected(
    small_ledger: bytes, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, len(small_ledger) - 1), label="position")
    new = data.draw(
        st.integers(0, 255).filter(lambda b: b != small_ledger[position]), label="byte"
    )
    mutated = bytearray(small_ledger)
    mutated[position] = new
    lines = list(ledger.read_lines(io.BytesIO(bytes(mutated))))
    assert verify.run(lines).exit_code == verify.EXIT_INTEGRITY


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_deletion_or_duplication_of_a_line_is_detected(
    small_ledger: bytes, data: st.DataObject
) -> None:
    lines = small_ledger.splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 1))
    edited = (
        (lines[:i] + lines[i + 1 :])
        if data.draw(st.booleans())
        else (lines[: i + 1] + lines[i:])
    )
    rep = verify.run(ledger.read_lines(io.BytesIO(b"".join(edited))))
    truncated_tail = i == len(lines) - 1 and len(edited) < len(lines)
    # NOTE: cutting the last entry is invisible to the chain alone; the
    # checkpoints and phoned-in codes catch it (tests/test_tlog.py)
    assert rep.exit_code == (
        verify.EXIT_OK if truncated_tail else verify.EXIT_INTEGRITY
    )


# --- attacks through signed but unacceptable roster and genesis bodies --------------

WEAK = [bytes.fromhex("01" + "00" * 31), bytes.fromhex("ee" + "ff" * 30 + "7f")]
FORGED_SIG = bytes(32) + bytes(32)  # R = identity, S = 0


def weak_ref(raw: bytes) -> dict[str, str]:
    from vaultctl.core import keys

    return {"key": keys.key_id(raw), "public_key": keys.format_public_key(raw)}


def test_weak_keys_cannot_enter_the_roster_and_forge(vault: Site) -> None:
    """A site-head-signed add-key of a small-order key is itself an integrity
    failure, and a signature 'by' such a key never counts."""
    for officer, raw in zip(("O-005", "O-006"), WEAK, strict=True):
        append_unchecked(
            vault,
            "roster",
            {"action": "add-key", "id": officer, "key": weak_ref(raw)},
            ("O-001", "O-002"),
        )
    entries_now = entries(vault)
    state = replay(entries_now)
    unsigned = writer.build(
        state, "2026-06-06T10:05:00+08:00", "note", {"text": "伪造"}, []
    ).to_dict()
    unsigned["sigs"] = [
        {
            "by": o,
            "key": weak_ref(r)["key"],
            "sig": __import__("base64").b64encode(FORGED_SIG).decode(),
        }
        for o, r in zip(("O-005", "O-006"), WEAK, strict=True)
    ]
    unsigned["hash"] = canonical.entry_hash(unsigned)
    vault.write_lines([*vault.lines(), canonical.encode(unsigned) + b"\n"])
    found = codes_at(vault)
    assert (5, "bad-schema") in found and (6, "bad-schema") in found
    assert (7, "too-few-signatures") in found


def append_unchecked(vault: Site, kind: str, body: dict, signers: tuple) -> None:
    """Sign and write an entry the writer would refuse (as another tool could)."""
    entry = writer.build(
        replay(entries(vault)),
        "2026-06-06T10:00:00+08:00",
        kind,
        body,
        vault.signers(*signers),
    )
    vault.write_lines([*vault.lines(), canonical.encode(entry.to_dict()) + b"\n"])


def roster_attack(vault: Site, body: dict) -> list[tuple[int, str]]:
    before = vault.ledger.read_bytes()
    with pytest.raises(RefusedError):  # the writer refuses it outright
        vault.append("roster", body, "2026-06-06T10:00:00+08:00", ("O-001", "O-002"))
    assert vault.ledger.read_bytes() == before
    append_unchecked(vault, "roster", body, ("O-001", "O-002"))
    return codes_at(vault)


@pytest.mark.parametrize(
    "attack",
    [
        "re-add",
        "share-key",
        "unrevoke",
        "unknown-officer",
        "unknown-key",
        "revoke-twice",
    ],
)
def test_roster_changes_that_would_undermine_the_keys(vault: Site, attack: str) -> None:
    first = entries(vault)[0].body["officers"]
    o3 = next(o for o in first if o["id"] == "O-003")
    o1_key = next(o for o in first if o["id"] == "O-001")["keys"][0]
    if attack == "unrevoke":
        vault.append(
            "roster",
            {
                "action": "revoke-key",
                "id": "O-003",
                "key": o3["keys"][0]["key"],
                "reason": "遗失",
            },
            "2026-06-06T09:50:00+08:00",
            ("O-001", "O-002"),
        )
    body = {
        "re-add": {"action": "add", "officer": {**o3, "roles": ["room_head"]}},
        "share-key": {"action": "add-key", "id": "O-005", "key": o1_key},
        "unrevoke": {"action": "add-key", "id": "O-003", "key": o3["keys"][0]},
        "unknown-officer": {"action": "suspend", "id": "O-404"},
        "unknown-key": {
            "action": "revoke-key",
            "id": "O-003",
            "key": "0" * 16,
            "reason": "x",
        },
        "revoke-twice": {
            "action": "revoke-key",
            "id": "O-003",
            "key": o3["keys"][0]["key"],
            "reason": "x",
        },
    }[attack]
    if attack == "revoke-twice":
        vault.append("roster", body, "2026-06-06T09:55:00+08:00", ("O-001", "O-002"))
    found = roster_attack(vault, body)
    assert any(code == "bad-schema" for _, code in found), found


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("timezone", lambda b: b["site"].update(timezone="Mars/Olympus")),
        ("site-id", lambda b: b["site"].update(id="S TEST/01")),
        (
            "huge-param",
            lambda b: b["policy"]["params"].update(time_ahead_minutes=2**53 - 1),
        ),
        ("unknown-param", lambda b: b["policy"]["params"].update(nap_minutes=5)),
        ("dup-officer", lambda b: b["officers"].append(dict(b["officers"][0]))),
        ("weak-key", lambda b: b["officers"][0].update(keys=[weak_ref(WEAK[0])])),
        (
            "wrong-key-id",
            lambda b: b["officers"][0]["keys"][0].update(key="0123456789abcdef"),
        ),
    ],
)
def test_a_signed_but_unacceptable_genesis(site: Site, name: str, change) -> None:
    body = config.load(site.config)
    change(body)
    entry = writer.build(
        replay([]), GENESIS_AT, "genesis", body, site.signers("O-001", "O-002")
    )
    site.vault_dir.mkdir()
    site.ledger.write_bytes(canonical.encode(entry.to_dict()) + b"\n")
    found = codes_at(site)
    assert (1, "bad-schema") in found, (name, found)


def test_times_near_the_end_of_the_calendar_are_refused(vault: Site) -> None:
    lines = vault.lines()
    lines[3] = edit(
        lines[3], lambda o: o.update(ts="9999-12-31T23:00:00+08:00"), rehash=True
    )
    vault.write_lines(lines)
    assert (4, "bad-schema") in codes_at(vault)


def _refused_at(lines: list[tuple[bytes, bool]]) -> int | None:
    """The line at which the writers' mode of the Verifier stops, if any."""
    checked = verify.Verifier(refuse=True)
    try:
        for raw, complete in lines:
            checked.feed(raw, complete)
    except verify.Refused as e:
        return e.line
    return None


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_the_writers_and_verify_agree_on_every_mutation(
    small_ledger: bytes, data: st.DataObject
) -> None:
    """Differential: the writers (refuse mode) stop at exactly the first line
    that ``verify`` (report mode) finds unsound, and at no line when it finds
    none; a byte changed, a line dropped or a line repeated."""
    mutated = bytearray(small_ledger)
    how = data.draw(st.sampled_from(["byte", "drop", "repeat"]), label="how")
    if how == "byte":
        at = data.draw(st.integers(0, len(mutated) - 1), label="position")
        mutated[at] = data.draw(st.integers(0, 255), label="byte")
    else:
        rows = small_ledger.splitlines(keepends=True)
        i = data.draw(st.integers(0, len(rows) - 1), label="line")
        rows[i : i + 1] = [] if how == "drop" else [rows[i], rows[i]]
        mutated = bytearray(b"".join(rows))
    lines = list(ledger.read_lines(io.BytesIO(bytes(mutated))))
    report = verify.run(lines)
    first = min((f.line for f in report.integrity if f.line > 0), default=None)
    assert _refused_at(lines) == first
