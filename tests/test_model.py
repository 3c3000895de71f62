"""Entry and Signature: strict from_dict, round trips, stored times."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from vaultctl.core import canonical
from vaultctl.core.errors import SchemaError
from vaultctl.core.model import Entry, Signature, format_ts, parse_ts

SIG_A = bytes(range(64))
SIG_B = bytes(range(64, 128))
CST = timezone(timedelta(hours=8))
MINUS_0530 = timezone(-timedelta(hours=5, minutes=30))


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def sig_dict(**changes: Any) -> dict[str, Any]:
    return {"by": "O-003", "key": "0123456789abcdef", "sig": b64(SIG_A), **changes}


def entry_dict(**changes: Any) -> dict[str, Any]:
    return {
        "v": 1,
        "log": "0123456789abcdef0123456789abcdef",
        "seq": 3,
        "prev": "a" * 64,
        "ts": "2026-06-07T09:00:00+08:00",
        "type": "note",
        "body": {"text": "记录", "n": 2, "ok": True, "list": [1, "x", {"y": False}]},
        "sigs": [
            sig_dict(),
            sig_dict(by="O-004", key="fedcba9876543210", sig=b64(SIG_B)),
        ],
        "hash": "b" * 64,
        **changes,
    }


ENTRY_FIELDS = ["v", "log", "seq", "prev", "ts", "type", "body", "sigs", "hash"]
SIG_FIELDS = ["by", "key", "sig"]


# --- a valid entry ----------------------------------------------------------------


def test_from_dict_reads_every_field() -> None:
    entry = Entry.from_dict(entry_dict())
    assert (entry.v, entry.seq, entry.type, entry.hash) == (1, 3, "note", "b" * 64)
    assert entry.log == "0123456789abcdef0123456789abcdef"
    assert entry.body == entry_dict()["body"]
    assert entry.sigs == (
        Signature(by="O-003", key="0123456789abcdef", sig=SIG_A),
        Signature(by="O-004", key="fedcba9876543210", sig=SIG_B),
    )
    assert isinstance(entry.sigs, tuple)
    assert entry.signers == ("O-003", "O-004")
    assert entry.moment == datetime(2026, 6, 7, 9, 0, 0, tzinfo=CST)


def test_seq_zero_and_no_sigs_are_model_valid() -> None:
    # seq 0 is the genesis; the signature count is a chain rule, not a shape rule.
    entry = Entry.from_dict(entry_dict(seq=0, sigs=[], prev="0" * 64))
    assert entry.seq == 0
    assert entry.sigs == ()


def test_to_dict_round_trip() -> None:
    original = entry_dict()
    entry = Entry.from_dict(original)
    assert entry.to_dict() == original
    assert canonical.encode(entry.to_dict()) == canonical.encode(original)
    assert Entry.from_dict(entry.to_dict()) == entry


def test_unsigned_is_the_seven_signed_fields() -> None:
    entry = Entry.from_dict(entry_dict())
    expected = {k: v for k, v in entry_dict().items() if k not in ("sigs", "hash")}
    assert entry.unsigned() == expected


def test_signature_round_trip() -> None:
    raw = sig_dict()
    sig = Signature.from_dict(raw)
    assert sig.sig == SIG_A
    assert sig.to_dict() == raw


def test_from_dict_does_not_mutate_its_input() -> None:
    original = entry_dict()
    snapshot = copy.deepcopy(original)
    Entry.from_dict(original)
    assert original == snapshot
    assert isinstance(original["sigs"], list)
    assert isinstance(original["sigs"][0]["sig"], str)


def test_from_dict_does_not_mutate_input_on_error() -> None:
    original = entry_dict(seq=-1)
    snapshot = copy.deepcopy(original)
    with pytest.raises(SchemaError):
        Entry.from_dict(original)
    assert original == snapshot


def test_entry_is_frozen() -> None:
    entry = Entry.from_dict(entry_dict())
    with pytest.raises(AttributeError):
        entry.seq = 4  # type: ignore[misc]


# --- missing, unknown and mistyped fields -------------------------------------------


@pytest.mark.parametrize("name", ENTRY_FIELDS)
def test_each_missing_entry_field_is_refused(name: str) -> None:
    raw = entry_dict()
    del raw[name]
    with pytest.raises(SchemaError, match=f"missing field '{name}'"):
        Entry.from_dict(raw)


@pytest.mark.parametrize("name", ["extra", "Hash", "moment", "signatures", ""])
def test_unknown_entry_field_is_refused(name: str) -> None:
    with pytest.raises(SchemaError, match=f"unknown field '{name}'"):
        Entry.from_dict(entry_dict(**{name: 1}))


@pytest.mark.parametrize("name", SIG_FIELDS)
def test_each_missing_signature_field_is_refused(name: str) -> None:
    sig = sig_dict()
    del sig[name]
    with pytest.raises(SchemaError, match=f"missing field '{name}'"):
        Entry.from_dict(entry_dict(sigs=[sig]))


@pytest.mark.parametrize("name", ["extra", "ts", "pub"])
def test_unknown_signature_field_is_refused(name: str) -> None:
    with pytest.raises(SchemaError, match=f"unknown field '{name}'"):
        Entry.from_dict(entry_dict(sigs=[sig_dict(**{name: "x"})]))


@pytest.mark.parametrize("obj", [None, [], "entry", 1, [("v", 1)]])
def test_non_object_entry_is_refused(obj: Any) -> None:
    with pytest.raises(SchemaError, match="expected an object"):
        Entry.from_dict(obj)


@pytest.mark.parametrize("sigs", [{}, "sig", None, 2, sig_dict()])
def test_sigs_must_be_a_list(sigs: Any) -> None:
    with pytest.raises(SchemaError, match="sigs"):
        Entry.from_dict(entry_dict(sigs=sigs))


@pytest.mark.parametrize("sig", ["x", None, [], 1])
def test_each_signature_must_be_an_object(sig: Any) -> None:
    with pytest.raises(SchemaError, match="expected an object"):
        Entry.from_dict(entry_dict(sigs=[sig]))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("seq", "1"),
        ("seq", -1),
        ("seq", True),
        ("seq", False),
        ("seq", 1.0),
        ("seq", None),
        ("v", "1"),
        ("v", True),
        ("v", 1.0),
        ("v", None),
        ("log", "0123456789abcdef0123456789abcde"),
        ("log", "0123456789abcdef0123456789abcdef0"),
        ("log", "0123456789ABCDEF0123456789ABCDEF"),
        ("log", "0123456789abcdef0123456789abcdeg"),
        ("log", 1),
        ("log", None),
        ("prev", "A" * 64),
        ("prev", "a" * 63),
        ("prev", "a" * 65),
        ("prev", "g" * 64),
        ("prev", "a" * 63 + "\n"),
        ("hash", "B" * 64),
        ("hash", "b" * 63),
        ("hash", ""),
        ("hash", None),
        ("hash", "Bb" * 32),
        ("type", "Note"),
        ("type", ""),
        ("type", "note!"),
        ("type", 1),
        ("type", None),
        ("body", []),
        ("body", "text"),
        ("body", None),
        ("body", 1),
    ],
)
def test_wrong_types_are_refused_naming_the_field(name: str, value: Any) -> None:
    with pytest.raises(SchemaError, match=f"^{name}: "):
        Entry.from_dict(entry_dict(**{name: value}))


@pytest.mark.parametrize(
    "ts",
    [
        "2026-06-07T09:00+08:00",
        "2026-06-07 09:00:00+08:00",
        "2026-06-07T09:00:00.5+08:00",
        "2026-06-07T09:00:00.000000+08:00",
        "2026-06-07T09:00:00Z",
        "2026-06-07T09:00:00",
        "2026-06-07T09:00:00+0800",
        "2026-06-07T09:00:00+08",
        "2026-02-30T09:00:00+08:00",
        "2026-13-01T09:00:00+08:00",
        "2026-06-07T24:00:00+08:00",
        "2026-06-07T09:60:00+08:00",
        "2026-06-07T09:00:00+24:00",
        "20260607T090000+08:00",
        "2026-06-07",
        "２０２６-06-07T09:00:00+08:00",
        " 2026-06-07T09:00:00+08:00",
        "2026-06-07T09:00:00+08:00\n",
        "",
        1780794000,
        None,
    ],
)
def test_bad_ts_is_refused(ts: Any) -> None:
    with pytest.raises(SchemaError, match="^ts: "):
        Entry.from_dict(entry_dict(ts=ts))


@pytest.mark.parametrize(
    ("ts", "offset"),
    [
        ("2026-06-07T09:00:00+08:00", 8 * 60),
        ("2026-06-07T09:00:00-05:30", -330),
        ("2026-06-07T09:00:00+00:00", 0),
        ("2028-02-29T23:59:59+14:00", 14 * 60),
    ],
)
def test_good_ts_is_parsed_aware(ts: str, offset: int) -> None:
    moment = Entry.from_dict(entry_dict(ts=ts)).moment
    assert moment.utcoffset() == timedelta(minutes=offset)


# --- signatures ------------------------------------------------------------------


@pytest.mark.parametrize(
    "sig",
    [b64(bytes(63)), b64(bytes(65)), b64(bytes(32)), "", b64(bytes(128))],
)
def test_signature_must_be_64_bytes(sig: str) -> None:
    with pytest.raises(SchemaError, match="sigs.sig.*64 bytes"):
        Entry.from_dict(entry_dict(sigs=[sig_dict(sig=sig)]))


@pytest.mark.parametrize(
    "sig",
    [
        "!" * 88,
        b64(SIG_A).rstrip("="),  # padding missing
        b64(SIG_A) + "=",
        b64(SIG_A)[:40] + "\n" + b64(SIG_A)[40:],
        b64(SIG_A)[:40] + " " + b64(SIG_A)[40:],
        b64(b"\xfb\xff" * 32).replace("+", "-").replace("/", "_"),  # urlsafe
    ],
)
def test_signature_must_be_standard_base64(sig: str) -> None:
    with pytest.raises(SchemaError, match="sigs.sig"):
        Entry.from_dict(entry_dict(sigs=[sig_dict(sig=sig)]))


def test_signature_standard_alphabet_with_plus_and_slash_is_accepted() -> None:
    raw = b"\xfb\xff" * 32
    assert "+" in b64(raw)
    assert "/" in b64(raw)
    assert Signature.from_dict(sig_dict(sig=b64(raw))).sig == raw


@pytest.mark.parametrize("sig", [SIG_A, 64, None, ["a"]])
def test_signature_must_be_a_string(sig: Any) -> None:
    with pytest.raises(SchemaError, match="sigs.sig"):
        Signature.from_dict(sig_dict(sig=sig))


def test_non_ascii_signature_is_a_schema_error() -> None:
    # base64.b64decode raises a bare ValueError for non-ASCII str; a damaged
    # ledger line must be reported as bad-schema, not crash the verifier.
    sig = b64(SIG_A)[:-3] + "é=="
    with pytest.raises(SchemaError, match="sigs.sig"):
        Signature.from_dict(sig_dict(sig=sig))


def test_non_canonical_base64_signature_is_refused() -> None:
    # 64 bytes end in one byte + "==": the low 4 bits of the last character
    # are padding and must be zero. A variant with them set decodes to the same
    # bytes, so the stored line differs from to_dict() and the chain (which
    # hashes to_dict()) accepts a changed line. Only one spelling may pass.
    good = b64(SIG_A)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(good[-3])
    assert last & 0x0F == 0
    bad = good[:-3] + alphabet[last | 0x01] + "=="
    assert base64.b64decode(bad) == SIG_A  # the same bytes, another spelling
    with pytest.raises(SchemaError, match="sigs.sig"):
        Signature.from_dict(sig_dict(sig=bad))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("by", ""),
        ("by", "-O"),
        ("by", "O 3"),
        ("by", "王"),
        ("by", 3),
        ("by", None),
        ("key", "0123456789abcde"),
        ("key", "0123456789abcdef0"),
        ("key", "0123456789ABCDEF"),
        ("key", None),
        ("key", 1),
    ],
)
def test_signature_by_and_key_are_checked(name: str, value: Any) -> None:
    with pytest.raises(SchemaError, match=f"sigs.{name}"):
        Entry.from_dict(entry_dict(sigs=[sig_dict(**{name: value})]))


def test_signature_constructor_checks_length() -> None:
    with pytest.raises(SchemaError, match="64 bytes"):
        Signature(by="O-1", key="0123456789abcdef", sig=b"\0" * 63)


# --- bodies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"x": None}, "body.x"),
        ({"a": {"b": None}}, "body.a.b"),
        ({"a": [1, None]}, r"body.a\[1\]"),
        ({"a": [{"b": [None]}]}, r"body.a\[0\].b\[0\]"),
        ({"ok": "x", "z": {"deep": {"deeper": None}}}, "body.z.deep.deeper"),
    ],
)
def test_null_anywhere_in_body_is_refused_with_its_path(
    body: dict[str, Any], path: str
) -> None:
    with pytest.raises(SchemaError, match=f"^{path}: null"):
        Entry.from_dict(entry_dict(body=body))


def test_empty_body_and_empty_containers_are_allowed() -> None:
    assert Entry.from_dict(entry_dict(body={})).body == {}
    body = {"a": [], "b": {}, "c": ""}
    assert Entry.from_dict(entry_dict(body=body)).body == body


# --- stored times ------------------------------------------------------------------


def test_format_ts_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_ts(datetime(2026, 6, 7, 9, 0, 0))


def test_format_ts_drops_microseconds() -> None:
    moment = datetime(2026, 6, 7, 9, 0, 5, 999_999, tzinfo=CST)
    assert format_ts(moment) == "2026-06-07T09:00:05+08:00"


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 6, 7, 9, 0, 0, tzinfo=CST), "2026-06-07T09:00:00+08:00"),
        (datetime(2026, 6, 7, 1, 0, 0, tzinfo=UTC), "2026-06-07T01:00:00+00:00"),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=MINUS_0530), "2026-01-02T03:04:05-05:30"),
    ],
)
def test_format_ts_writes_the_stored_form(moment: datetime, text: str) -> None:
    assert format_ts(moment) == text
    assert parse_ts(text) == moment
    assert format_ts(parse_ts(text)) == text
