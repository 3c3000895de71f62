"""RFC 8785 canonical JSON: RFC vectors, the strict parser, signing input, hash."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultctl.core import canonical
from vaultctl.core.errors import CanonicalError

SAFE = 2**53 - 1


# --- RFC 8785 section 3.2.2 / 3.2.3 vectors ------------------------------------


def test_rfc8785_3_2_2_sample_without_numbers() -> None:
    # The input exactly as printed in RFC 8785 3.2.2 (the "numbers" member dropped).
    source = (
        r'{"string": "\u20ac$\u000F\u000aA'
        r"'\u0042\u0022\u005c\\\"\/"
        r'", "literals": [null, true, false]}'
    ).encode("ascii")
    expected = r"""{"literals":[null,true,false],"string":"€$\u000f\nA'B\"\\\\\"/"}"""
    parsed = canonical.parse(source)
    assert parsed["string"] == '\u20ac$\x0f\nA\'B"\\\\"/'
    assert canonical.encode(parsed) == expected.encode("utf-8")


SORT_INPUT = (
    rb'{"\u20ac": "Euro Sign", "\r": "Carriage Return", '
    rb'"\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", '
    rb'"\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", '
    rb'"\u00f6": "Latin Small Letter O With Diaeresis"}'
)
SORT_EXPECTED = (
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
    '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
    '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
)


def test_rfc8785_3_2_3_sorting_vector() -> None:
    assert canonical.encode(canonical.parse(SORT_INPUT)) == SORT_EXPECTED.encode()


def test_sorting_uses_utf16_code_units_not_code_points() -> None:
    # U+1F600 is a surrogate pair D83D DE00, which sorts before U+FB33 in UTF-16
    # although its code point is larger.
    value = {"\ufb33": 1, "\U0001f600": 2}
    assert canonical.encode(value) == '{"\U0001f600":2,"\ufb33":1}'.encode()


def test_nesting_is_sorted_recursively() -> None:
    value = {"b": {"z": 1, "a": [{"y": True, "x": None}, []]}, "a": {}, "A": "x"}
    assert canonical.encode(value) == (
        b'{"A":"x","a":{},"b":{"a":[{"x":null,"y":true},[]],"z":1}}'
    )


def test_arrays_keep_their_order_and_tuples_encode_as_arrays() -> None:
    assert canonical.encode([3, 1, 2]) == b"[3,1,2]"
    assert canonical.encode((3, "a", (True,))) == b'[3,"a",[true]]'


# --- string escaping --------------------------------------------------------------

SHORT_ESCAPES = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}


@pytest.mark.parametrize("code", range(0x20))
def test_control_characters_are_escaped(code: int) -> None:
    escaped = SHORT_ESCAPES.get(code, f"\\u00{code:02x}")
    assert canonical.encode(chr(code)) == f'"{escaped}"'.encode()


def test_control_escapes_use_lowercase_hex() -> None:
    assert canonical.encode("\x1f\x0b") == b'"\\u001f\\u000b"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x7f", '"\x7f"'),
        ("\u2028\u2029", '"\u2028\u2029"'),
        ("/", '"/"'),
        ('"', '"\\""'),
        ("\\", '"\\\\"'),
        ("王建国 €", '"王建国 €"'),
        ("\U0001f600", '"\U0001f600"'),
        ("", '""'),
    ],
)
def test_other_characters_are_literal(text: str, expected: str) -> None:
    assert canonical.encode(text) == expected.encode("utf-8")


def test_object_keys_are_escaped_like_strings() -> None:
    assert canonical.encode({"a\nb": 1, '"': 2}) == b'{"\\"":2,"a\\nb":1}'


# --- literals and integers --------------------------------------------------------


def test_bool_is_not_int() -> None:
    assert canonical.encode(True) == b"true"
    assert canonical.encode(False) == b"false"
    assert canonical.encode(None) == b"null"
    assert canonical.encode([True, 1, False, 0]) == b"[true,1,false,0]"
    assert canonical.parse(b"[true,1,false,0]") == [True, 1, False, 0]
    assert type(canonical.parse(b"true")) is bool
    assert type(canonical.parse(b"1")) is int


@pytest.mark.parametrize("value", [SAFE, -SAFE, 0, -1, 1])
def test_integers_in_range_encode_and_parse(value: int) -> None:
    text = str(value).encode()
    assert canonical.encode(value) == text
    assert canonical.parse(text) == value


def test_integer_limits_spelled_out() -> None:
    assert canonical.encode(9007199254740991) == b"9007199254740991"
    assert canonical.encode(-9007199254740991) == b"-9007199254740991"


@pytest.mark.parametrize("value", [SAFE + 1, -SAFE - 1, 2**64, -(2**64)])
def test_integers_out_of_range_are_refused_by_encode(value: int) -> None:
    with pytest.raises(CanonicalError, match="out of range"):
        canonical.encode(value)
    with pytest.raises(CanonicalError):
        canonical.encode({"n": [value]})


@pytest.mark.parametrize(
    "text",
    [b"9007199254740992", b"-9007199254740992", b'{"a":[18446744073709551616]}'],
)
def test_integers_out_of_range_are_refused_by_parse(text: bytes) -> None:
    with pytest.raises(CanonicalError) as info:
        canonical.parse(text)
    assert info.value.code == "bad-json"


def test_huge_integer_is_a_canonical_error() -> None:
    # Python refuses int() of more than 4300 digits with a bare ValueError; the
    # parser must still answer with CanonicalError (bad-json), not crash.
    with pytest.raises(CanonicalError) as info:
        canonical.parse(b"[" + b"9" * 5000 + b"]")
    assert info.value.code == "bad-json"


# --- what the parser refuses ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        b"1.0",
        b"1e5",
        b"1E5",
        b"1e-5",
        b"-0.0",
        b"0.5",
        b"[1.5]",
        b'{"a":1e400}',
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b'{"a":[NaN]}',
    ],
)
def test_floats_and_non_finite_numbers_are_refused(text: bytes) -> None:
    with pytest.raises(CanonicalError) as info:
        canonical.parse(text)
    assert info.value.code == "bad-json"


@pytest.mark.parametrize("value", [1.0, 0.5, float("nan"), float("inf"), -float("inf")])
def test_floats_are_refused_by_encode(value: float) -> None:
    with pytest.raises(CanonicalError):
        canonical.encode({"x": value})


@pytest.mark.parametrize(
    "text",
    [
        b'{"a":1,"a":2}',
        b'{"a":1,"a":1}',
        b'{"x":{"a":1,"b":2,"a":3}}',
        b'[{"k":true},{"k":1,"k":1}]',
        b'{"a":1,"\\u0061":2}',
    ],
)
def test_duplicate_keys_are_refused(text: bytes) -> None:
    with pytest.raises(CanonicalError, match="duplicate") as info:
        canonical.parse(text)
    assert info.value.code == "bad-json"


@pytest.mark.parametrize(
    "text",
    [
        b'"\xff"',
        b'"\xc3"',
        b'"\xc0\xaf"',
        b'"\xed\xa0\x80"',
        b'{"a\x80":1}',
        b'"\xf8\x88\x80\x80\x80"',
    ],
)
def test_invalid_utf8_is_refused(text: bytes) -> None:
    with pytest.raises(CanonicalError, match="utf-8") as info:
        canonical.parse(text)
    assert info.value.code == "bad-json"


@pytest.mark.parametrize(
    "text",
    [b"", b"{", b"[1,]", b"{'a':1}", b"01", b"[1] [2]", b'"\x01"', b"\xef\xbb\xbf1"],
)
def test_malformed_json_is_refused(text: bytes) -> None:
    with pytest.raises(CanonicalError) as info:
        canonical.parse(text)
    assert info.value.code == "bad-json"


def test_deep_nesting_is_a_canonical_error() -> None:
    with pytest.raises(CanonicalError):
        canonical.parse(b"[" * 100_000 + b"]" * 100_000)


def test_escaped_surrogate_pair_parses_to_one_character() -> None:
    assert canonical.parse(b'"\\ud83d\\ude00"') == "\U0001f600"


@pytest.mark.parametrize("text", [b'"\\ud800"', b'"a\\udc00b"', b'{"\\ud83d":1}'])
def test_lone_surrogate_escape_is_refused_by_parse(text: bytes) -> None:
    # I-JSON (which RFC 8785 requires) forbids lone surrogates. Accepting one
    # lets a ledger line through that encode() later refuses, so a verifier
    # crashes on it instead of reporting bad-json.
    with pytest.raises(CanonicalError) as info:
        canonical.parse(text)
    assert info.value.code == "bad-json"


@pytest.mark.parametrize(
    "value", ["\ud800", ["a\udc00"], {"\ud83d": 1}, {"k": "\udfff"}]
)
def test_lone_surrogate_is_refused_by_encode(value: Any) -> None:
    with pytest.raises(CanonicalError, match="surrogate"):
        canonical.encode(value)


@pytest.mark.parametrize("value", [{1: "a"}, {None: 1}, b"bytes", {1, 2}, object()])
def test_unencodable_values_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalError):
        canonical.encode(value)


# --- signing input and entry hash -------------------------------------------------

ENTRY: dict[str, Any] = {
    "v": 2,
    "log": "0123456789abcdef0123456789abcdef",
    "seq": 7,
    "prev": "a" * 64,
    "ts": "2026-06-07T07:40:00+08:00",
    "type": "note",
    "body": {"text": "x"},
    "sigs": [{"by": "O-003", "key": "0011223344556677", "sig": "c2ln"}],
    "hash": "b" * 64,
}
SIGNERS = [{"by": "O-003", "key": "0011223344556677"}]
SIGNED_BYTES = (
    b'{"body":{"text":"x"},"log":"0123456789abcdef0123456789abcdef","prev":"'
    + b"a" * 64
    + b'","seq":7,"signers":[{"by":"O-003","key":"0011223344556677"}],'
    b'"ts":"2026-06-07T07:40:00+08:00","type":"note","v":2}'
)
HASHED_BYTES = (
    b'{"body":{"text":"x"},"log":"0123456789abcdef0123456789abcdef","prev":"'
    + b"a" * 64
    + b'","seq":7,"sigs":[{"by":"O-003","key":"0011223344556677",'
    b'"sig":"c2ln"}],"ts":"2026-06-07T07:40:00+08:00","type":"note","v":2}'
)


def test_signing_input_is_domain_tag_then_signed_fields_and_signers() -> None:
    data = canonical.signing_input(ENTRY, SIGNERS)
    assert data == b"vaultctl/entry/v2\n" + SIGNED_BYTES
    assert canonical.EntryBytes(ENTRY).signed == data


@pytest.mark.parametrize(
    ("name", "other"),
    [
        ("sigs", [{"by": "O-003", "key": "0011223344556677", "sig": "eA=="}]),
        ("hash", "c" * 64),
    ],
)
def test_signing_input_ignores_signature_bytes_and_hash(name: str, other: Any) -> None:
    changed = {**ENTRY, name: other}
    assert canonical.EntryBytes(changed).signed == canonical.EntryBytes(ENTRY).signed


@pytest.mark.parametrize(
    "signers",
    [
        [],  # a signature dropped
        [*SIGNERS, {"by": "O-004", "key": "8899aabbccddeeff"}],  # one added
        [{"by": "O-004", "key": "0011223344556677"}],  # another officer
        [{"by": "O-003", "key": "8899aabbccddeeff"}],  # another key
    ],
)
def test_signing_input_covers_the_signer_list(signers: list[dict[str, str]]) -> None:
    """No signature can be removed or added without breaking the others."""
    assert canonical.signing_input(ENTRY, signers) != canonical.signing_input(
        ENTRY, SIGNERS
    )


def test_signer_order_is_signed() -> None:
    two = [*SIGNERS, {"by": "O-004", "key": "8899aabbccddeeff"}]
    assert canonical.signing_input(ENTRY, two) != canonical.signing_input(
        ENTRY, two[::-1]
    )


def test_signing_input_ignores_extra_fields() -> None:
    extra = {**ENTRY, "extra": 1}
    assert canonical.signing_input(extra, SIGNERS) == canonical.signing_input(
        ENTRY, SIGNERS
    )


@pytest.mark.parametrize(
    ("name", "other"),
    [
        ("v", 1),
        ("log", "f" * 32),
        ("seq", 8),
        ("prev", "c" * 64),
        ("ts", "2026-06-07T07:40:01+08:00"),
        ("type", "amend"),
        ("body", {"text": "y"}),
        ("body", {"text": "x", "more": True}),
    ],
)
def test_signing_input_covers_each_signed_field(name: str, other: Any) -> None:
    changed = {**ENTRY, name: other}
    assert canonical.signing_input(changed, SIGNERS) != canonical.signing_input(
        ENTRY, SIGNERS
    )


def test_entry_hash_is_sha256_of_entry_without_hash() -> None:
    expected = hashlib.sha256(HASHED_BYTES).hexdigest()
    assert canonical.entry_hash(ENTRY) == expected
    assert canonical.entry_hash({**ENTRY, "hash": "0" * 64}) == expected
    without = {k: v for k, v in ENTRY.items() if k != "hash"}
    assert canonical.entry_hash(without) == expected


def test_entry_hash_covers_sigs_and_every_other_field() -> None:
    base = canonical.entry_hash(ENTRY)
    sigs = copy.deepcopy(ENTRY["sigs"])
    sigs[0]["sig"] = "c2lH"
    assert canonical.entry_hash({**ENTRY, "sigs": sigs}) != base
    assert canonical.entry_hash({**ENTRY, "sigs": []}) != base
    for name, other in [("seq", 8), ("body", {"text": "y"}), ("ts", "x")]:
        assert canonical.entry_hash({**ENTRY, name: other}) != base


def test_signing_input_and_hash_do_not_mutate_the_entry() -> None:
    before = copy.deepcopy(ENTRY)
    canonical.signing_input(ENTRY, SIGNERS)
    assert canonical.EntryBytes(ENTRY).signed
    canonical.entry_hash(ENTRY)
    assert before == ENTRY


# --- NFC ----------------------------------------------------------------------------


def test_first_non_nfc_finds_leaves_keys_and_nested_strings() -> None:
    assert canonical.first_non_nfc({"a": "caf\u00e9"}) is None
    assert canonical.first_non_nfc({"a": "cafe\u0301"}) == "cafe\u0301"
    assert canonical.first_non_nfc({"e\u0301": 1}) == "e\u0301"
    nested = {"a": [1, True, None, {"b": ["\u212b"]}]}
    assert canonical.first_non_nfc(nested) == "\u212b"
    assert canonical.first_non_nfc(("ok", "A\u030a")) == "A\u030a"
    assert canonical.first_non_nfc([1, 2, None, True]) is None


def test_nfc_normalises_keys_and_values_without_mutating() -> None:
    value = {"e\u0301": ["A\u030a", {"x": "\u212b", "n": 3, "t": True, "z": None}]}
    before = copy.deepcopy(value)
    assert canonical.nfc(value) == {
        "\u00e9": ["\u00c5", {"x": "\u00c5", "n": 3, "t": True, "z": None}]
    }
    assert value == before


def test_nfc_refuses_keys_that_collide_after_normalisation() -> None:
    # Two distinct keys that normalise to the same string: silently keeping one
    # of them changes what is signed. An error is the only safe answer.
    with pytest.raises(CanonicalError):
        canonical.nfc({"\u00e9": "composed", "e\u0301": "decomposed"})


# --- hypothesis round trips ---------------------------------------------------------

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-SAFE, max_value=SAFE) | st.text()
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=20,
)


def _utf16_units(key: str) -> list[int]:
    units: list[int] = []
    for ch in key:
        c = ord(ch)
        if c < 0x10000:
            units.append(c)
        else:
            c -= 0x10000
            units += [0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF)]
    return units


def _keys_in_order(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    assert keys == sorted(keys, key=_utf16_units)
    return dict(pairs)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_round_trip(value: Any) -> None:
    data = canonical.encode(value)
    assert canonical.parse(data) == value
    assert canonical.encode(canonical.parse(data)) == data


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_encoding_is_compact_sorted_json(value: Any) -> None:
    data = canonical.encode(value)
    # an independent reading: the standard library parses it to the same value,
    # with every object's keys in UTF-16 code unit order.
    assert json.loads(data.decode("utf-8"), object_pairs_hook=_keys_in_order) == value


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_nfc_leaves_no_non_nfc_string(value: Any) -> None:
    normalised = canonical.nfc(value)
    assert canonical.first_non_nfc(normalised) is None
    assert canonical.nfc(normalised) == normalised


entry_like = st.fixed_dictionaries(
    dict.fromkeys(("v", "log", "seq", "prev", "ts", "type", "body"), json_values),
    optional={"hash": json_values, "sigs": json_values},
)


@settings(max_examples=200, deadline=None)
@given(entry_like)
def test_entry_bytes_agree_with_encode(entry: dict) -> None:
    """The shared-member encodings equal the plain RFC 8785 encodings."""
    parts = canonical.EntryBytes(entry)
    assert parts.line == canonical.encode(entry)
    without = {k: v for k, v in entry.items() if k != "hash"}
    assert parts.hash == hashlib.sha256(canonical.encode(without)).hexdigest()
    signed = {k: entry[k] for k in canonical.SIGNED_FIELDS}
    try:
        signed["signers"] = canonical.signers_of(entry.get("sigs"))
    except (TypeError, KeyError):
        with pytest.raises(CanonicalError):
            parts.signed  # noqa: B018 - the property raises
        return
    assert parts.signed == canonical.ENTRY_DOMAIN + canonical.encode(signed)


# --- issue 24: the orjson fast path never accepts what the exact path refuses -


def _exactly_canonical(raw: bytes) -> bool:
    try:
        obj = canonical.parse(raw)
    except CanonicalError:
        return False
    return canonical.encode(obj) == raw and canonical.first_non_nfc(obj) is None


_LINE = canonical.encode(
    {"body": {"n": 12, "text": "交班 ok", "xs": [1, -2, True, None]}, "seq": 3}
)
_CRAFTED = [
    _LINE,
    _LINE.replace(b'"n":12', b'"n":12.0'),
    _LINE.replace(b'"n":12', b'"n":1.2e1'),
    _LINE.replace(b'"n":12', b'"n":1E1'),
    _LINE.replace(b'"n":12', b'"n":-0'),
    _LINE.replace(b'"n":12', b'"n":9007199254740993'),
    _LINE.replace(b'"n":12', b'"n":-9007199254740993'),
    _LINE.replace(b'"n":12', b'"n":18446744073709551615'),
    _LINE.replace(b'"n":12', b'"n":012'),
    _LINE.replace(b'"n":12', b'"n":NaN'),
    _LINE.replace(b'"n":12', b'"n":12,"n":12'),
    _LINE.replace(b'{"n":12,', b'{"text":"x","n":12,'),
    b"\xef\xbb\xbf" + _LINE,
    _LINE.replace("交班".encode(), b"\xe4\xba"),
    _LINE.replace("交班".encode(), "e\u0301".encode()),
    _LINE.replace("交班".encode(), b"\\u4ea4"),
    _LINE.replace("交班".encode(), "𝄞".encode()),
    _LINE + b" ",
]


@pytest.mark.parametrize("raw", _CRAFTED)
def test_the_fast_path_accepts_only_canonical_lines(raw: bytes) -> None:
    if canonical.FastLine.check(raw) is not None:
        assert _exactly_canonical(raw), raw


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(_LINE) - 1), st.integers(0, 255))
def test_no_single_byte_change_fools_the_fast_path(at: int, byte: int) -> None:
    raw = bytearray(_LINE)
    raw[at] = byte
    if canonical.FastLine.check(bytes(raw)) is not None:
        assert _exactly_canonical(bytes(raw)), bytes(raw)
