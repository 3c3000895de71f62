"""Tests for vaultctl.tlog.checkpoint: signed-note checkpoints and short codes.

Real Ed25519 keys from fixed seeds; the golden note is recomputed here from
the primitives (hashlib, base64, cryptography) independently of the module.
The interop vector is the example of golang.org/x/mod/sumdb/note (PeterNeumann).
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultctl.core.errors import CheckpointError
from vaultctl.tlog import checkpoint, shortcode
from vaultctl.tlog.checkpoint import (
    Checkpoint,
    SignedNote,
    key_hash,
    make_origin,
    open_note,
    require_cosigners,
    sign_note,
)
from vaultctl.tlog.shortcode import code_matches, parse_short_code, short_code

EM = "\u2014"


def seed_key(i: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32)


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


K1, K2, K3, WITNESS = seed_key(1), seed_key(2), seed_key(3), seed_key(9)
OFFICERS = {"O-001": [raw(K1)], "O-002": [raw(K2)], "O-003": [raw(K3)]}
ORIGIN = "vaultctl/S-330106-07/5f0c1d2e3f405162738495a6b7c8d9e0"
ROOT = hashlib.sha256(b"vaultctl golden root").digest()
CHECKPOINT = Checkpoint(origin=ORIGIN, size=412, root=ROOT)
TEXT = CHECKPOINT.note_text()

GOLDEN_NOTE = (
    "vaultctl/S-330106-07/5f0c1d2e3f405162738495a6b7c8d9e0\n"
    "412\n"
    "QUNVA3REmf9OYX6depr3wK64yx9rf2utqnyoRpqRTjQ=\n"
    "\n"
    "— O-001 1AmDIRBlfPmz1/bHml/ctFhqiWsb8ZCXsCCahQtjWJgw5UcT5GpzbdJNc5SLQcgPdsFN3csJ"
    "qDTu8nQYEWNAlyCF/AU=\n"
    "— O-002 GWjiUriwPTJUIbYtn9gUMUZemSBNJ40FESZdi2uyb+KGimjbwE8s6zGdVRWBJyD3XCAofP1+"
    "agnK+lA5Yyuzqb7o2gg=\n"
)


def golden() -> str:
    return sign_note(TEXT, [("O-001", K1), ("O-002", K2)])


def line_for(name: str, key: Ed25519PrivateKey, text: str = TEXT) -> str:
    """A signature line built from the primitives, not from the module."""
    kh = hashlib.sha256(name.encode() + b"\n\x01" + raw(key)).digest()[:4]
    blob = base64.b64encode(kh + key.sign(text.encode())).decode()
    return f"{EM} {name} {blob}\n"


# --- format


def test_golden_note_bytes() -> None:
    independent = (
        f"{ORIGIN}\n412\n{base64.b64encode(ROOT).decode()}\n\n"
        + line_for("O-001", K1)
        + line_for("O-002", K2)
    )
    assert independent == GOLDEN_NOTE
    assert golden() == GOLDEN_NOTE
    assert golden().encode("utf-8") == GOLDEN_NOTE.encode("utf-8")


def test_go_sumdb_note_vector() -> None:
    # golang.org/x/mod/sumdb/note package documentation example.
    vkey = base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    skey = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
    key = Ed25519PrivateKey.from_private_bytes(skey[1:])
    assert raw(key) == vkey[1:]
    assert key_hash("PeterNeumann", vkey[1:]).hex() == "c74f20a3"
    text = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
    )
    assert checkpoint._signature_line("PeterNeumann", key, text) == (
        f"{EM} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC"
        "2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    )


def test_key_hash() -> None:
    expected = hashlib.sha256(b"O-001\n\x01" + raw(K1)).digest()[:4]
    assert key_hash("O-001", raw(K1)) == expected
    with pytest.raises(CheckpointError, match="expected 32"):
        key_hash("O-001", raw(K1)[:31])
    with pytest.raises(CheckpointError, match="bad key name"):
        key_hash("O 001", raw(K1))


def test_note_text_and_parse_round_trip() -> None:
    assert f"{ORIGIN}\n412\n{base64.b64encode(ROOT).decode()}\n" == TEXT
    assert Checkpoint.parse_body(TEXT) == CHECKPOINT
    extended = Checkpoint(origin=ORIGIN, size=0, root=ROOT, extensions=("x y", "z"))
    assert extended.note_text().endswith("\nx y\nz\n")
    assert Checkpoint.parse_body(extended.note_text()) == extended


def test_make_origin() -> None:
    assert make_origin("S-330106-07", "5f0c") == "vaultctl/S-330106-07/5f0c"
    for site, log in [("", "a"), ("S/1", "a"), ("S 1", "a"), ("S", "a+b")]:
        with pytest.raises(CheckpointError, match="origin"):
            make_origin(site, log)


# --- opening


def test_round_trip() -> None:
    opened = open_note(golden(), OFFICERS)
    assert isinstance(opened, SignedNote)
    assert opened.text == TEXT
    assert opened.checkpoint == CHECKPOINT
    assert opened.verified_by == ("O-001", "O-002")
    assert [s.public_key for s in opened.signatures] == [raw(K1), raw(K2)]
    assert require_cosigners(opened) == ("O-001", "O-002")


def test_witness_cosignature_appended_later_still_opens() -> None:
    note = golden() + line_for("centre.example/witness", WITNESS)
    opened = open_note(note, OFFICERS)
    assert opened.verified_by == ("O-001", "O-002")
    with_witness = {**OFFICERS, "centre.example/witness": [raw(WITNESS)]}
    opened = open_note(note, with_witness)
    assert opened.verified_by == ("O-001", "O-002", "centre.example/witness")


def test_lines_matching_name_or_hash_only_are_ignored() -> None:
    # Same name, another key: unknown, so ignored even though it would fail.
    other_key = line_for("O-001", WITNESS, "some other text\n")
    # Known key hash under another name: unknown too.
    kh_blob = GOLDEN_NOTE.splitlines()[4].split(" ")[2]
    renamed = f"{EM} O-999 {kh_blob}\n"
    opened = open_note(golden() + other_key + renamed, OFFICERS)
    assert opened.verified_by == ("O-001", "O-002")


def test_known_key_with_bad_signature_rejected() -> None:
    lines = golden().split("\n")
    blob = bytearray(base64.b64decode(lines[4].split(" ")[2]))
    blob[10] ^= 1  # inside the signature, after the key hash
    lines[4] = f"{EM} O-001 {base64.b64encode(bytes(blob)).decode()}"
    with pytest.raises(CheckpointError, match="line 1: bad signature by known key"):
        open_note("\n".join(lines), OFFICERS)


def test_signature_over_other_text_rejected() -> None:
    other = Checkpoint(origin=ORIGIN, size=413, root=ROOT).note_text()
    note = TEXT + "\n" + line_for("O-001", K1, other) + line_for("O-002", K2)
    with pytest.raises(CheckpointError, match="bad signature by known key O-001"):
        open_note(note, OFFICERS)


def test_short_signature_from_known_key_rejected() -> None:
    kh = key_hash("O-001", raw(K1))
    note = TEXT + f"\n{EM} O-001 {base64.b64encode(kh + b'x').decode()}\n"
    with pytest.raises(CheckpointError, match="bad signature by known key"):
        open_note(note, OFFICERS)


def test_no_known_signature_rejected() -> None:
    note = TEXT + "\n" + line_for("centre.example/witness", WITNESS)
    with pytest.raises(CheckpointError, match="no signature from a known key"):
        open_note(note, OFFICERS)


def test_c2sp_example_is_well_formed() -> None:
    # From c2sp.org/tlog-checkpoint: parses, but no key of ours signed it.
    note = (
        "example.com/behind-the-sofa\n20852163\n"
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
        f"{EM} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurm"
        "RDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    )
    body = Checkpoint.parse_body(note[: note.index("\n\n") + 1])
    assert (body.origin, body.size) == ("example.com/behind-the-sofa", 20852163)
    with pytest.raises(CheckpointError, match="no signature from a known key"):
        open_note(note, OFFICERS)


# --- cosigner threshold


def test_require_cosigners() -> None:
    one = open_note(sign_note(TEXT, [("O-001", K1)]), OFFICERS)
    with pytest.raises(CheckpointError, match=r"got 1: O-001; expected at least 2"):
        require_cosigners(one)
    three = open_note(
        sign_note(TEXT, [("O-001", K1), ("O-002", K2), ("O-003", K3)]), OFFICERS
    )
    assert require_cosigners(three, 3) == ("O-001", "O-002", "O-003")
    with pytest.raises(CheckpointError, match="expected at least 4"):
        require_cosigners(three, 4)


def test_one_officer_with_two_keys_counts_once() -> None:
    keys = {"O-001": [raw(K1), raw(K2)]}
    opened = open_note(sign_note(TEXT, [("O-001", K1), ("O-001", K2)]), keys)
    assert opened.verified_by == ("O-001",)
    assert len(opened.signatures) == 2
    with pytest.raises(CheckpointError, match="got 1"):
        require_cosigners(opened)


def test_two_officers_sharing_a_key_count_for_neither() -> None:
    keys = {"O-001": [raw(K1)], "O-002": [raw(K1)], "O-003": [raw(K3)]}
    note = sign_note(TEXT, [("O-001", K1), ("O-002", K1), ("O-003", K3)])
    opened = open_note(note, keys)
    assert opened.verified_by == ("O-001", "O-002", "O-003")
    with pytest.raises(CheckpointError, match="got 1: O-003"):
        require_cosigners(opened)


def test_duplicate_signature_lines_count_once() -> None:
    note = golden() + line_for("O-001", K1)
    opened = open_note(note, OFFICERS)
    assert opened.verified_by == ("O-001", "O-002")
    assert len(opened.signatures) == 2


# --- malformed notes

SIG1 = line_for("O-001", K1)
SIG2 = line_for("O-002", K2)
B64_ROOT = base64.b64encode(ROOT).decode()
MALFORMED = {
    "missing-blank-line": (TEXT + SIG1, "no blank line"),
    "no-signatures": (TEXT + "\n", "no signature lines"),
    "no-final-newline": (TEXT + "\n" + SIG1[:-1], "does not end in a newline"),
    "crlf": (TEXT.replace("\n", "\r\n") + "\r\n" + SIG1, "bad character U\\+000D"),
    "tab-in-origin": ("a\tb" + TEXT[len(ORIGIN) :] + "\n" + SIG1, "U\\+0009"),
    "lone-surrogate": (TEXT + "\n" + SIG1.replace("O-001", "O-\ud800"), "U\\+D800"),
    "hyphen-not-em-dash": (TEXT + "\n" + SIG1.replace(EM, "-"), "em dash"),
    "em-dash-no-space": (TEXT + "\n" + SIG1.replace(f"{EM} ", EM), "em dash"),
    "plus-in-name": (TEXT + "\n" + SIG1.replace("O-001", "O+001"), "bad key name"),
    "empty-name": (TEXT + "\n" + SIG1.replace("O-001", ""), "bad key name"),
    "bad-base64": (TEXT + "\n" + SIG1[:-3] + "!=\n", "bad base64"),
    "unpadded-base64": (TEXT + "\n" + SIG1[:-2] + "\n", "bad base64"),
    "non-canonical-base64": (TEXT + "\n" + SIG1[:-3] + "V=\n", "not canonical"),
    "tiny-signature": (TEXT + f"\n{EM} O-001 AAAA\n", "expected at least 5"),
    "blank-line-between-signatures": (TEXT + "\n" + SIG1 + "\n" + SIG2, "empty line"),
    "two-lines": (f"{ORIGIN}\n412\n\n" + SIG1, "got 2 lines"),
    "size-leading-zero": (TEXT.replace("\n412\n", "\n0412\n") + "\n" + SIG1, "size"),
    "size-plus": (TEXT.replace("\n412\n", "\n+412\n") + "\n" + SIG1, "size"),
    "size-underscore": (TEXT.replace("\n412\n", "\n4_12\n") + "\n" + SIG1, "size"),
    "size-space": (TEXT.replace("\n412\n", "\n 412\n") + "\n" + SIG1, "size"),
    "size-arabic-digits": (TEXT.replace("\n412\n", "\n٤١٢\n") + "\n" + SIG1, "size"),
    "size-too-big": (TEXT.replace("\n412\n", f"\n{2**64}\n") + "\n" + SIG1, "range"),
    "root-31-bytes": (
        TEXT.replace(B64_ROOT, base64.b64encode(ROOT[:31]).decode()) + "\n" + SIG1,
        "got 31 bytes, expected 32",
    ),
    "root-urlsafe": (
        TEXT.replace(B64_ROOT, base64.urlsafe_b64encode(b"\xfb" * 32).decode())
        + "\n"
        + SIG1,
        "bad base64",
    ),
    "too-many-signatures": (
        golden() + line_for("centre.example/w", WITNESS) * 99,
        "too many signatures",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_note_rejected(case: str) -> None:
    note, message = MALFORMED[case]
    with pytest.raises(CheckpointError, match=message) as err:
        open_note(note, OFFICERS)
    assert str(err.value)[0].islower()


def test_hundred_signatures_accepted() -> None:
    note = golden() + line_for("centre.example/w", WITNESS) * 98
    assert open_note(note, OFFICERS).verified_by == ("O-001", "O-002")


def test_parse_body_and_sign_note_need_a_final_newline() -> None:
    with pytest.raises(CheckpointError, match="does not end in a newline"):
        Checkpoint.parse_body(TEXT[:-1])
    with pytest.raises(CheckpointError, match="does not end in a newline"):
        sign_note(TEXT[:-1], [("O-001", K1)])


def test_sign_note_refuses_non_checkpoint_text_and_no_signers() -> None:
    with pytest.raises(CheckpointError, match="size"):
        sign_note("hello\nworld\nagain\n", [("O-001", K1)])
    with pytest.raises(CheckpointError, match="no signers"):
        sign_note(TEXT, [])
    with pytest.raises(CheckpointError, match="bad key name"):
        sign_note(TEXT, [("O 001", K1)])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"origin": ""}, "origin: empty line"),
        ({"origin": "a\nb"}, "origin: contains a newline"),
        ({"size": -1}, "size: out of range"),
        ({"root": b"x" * 33}, "got 33 bytes"),
        ({"extensions": ("",)}, "line 4: empty line"),
    ],
)
def test_checkpoint_invariants(fields: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"origin": ORIGIN, "size": 1, "root": ROOT, **fields}
    with pytest.raises(CheckpointError, match=message):
        Checkpoint(**args)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_single_mutation_is_detected(data: st.DataObject) -> None:
    note = golden()
    pos = data.draw(st.integers(min_value=0, max_value=len(note) - 1))
    char = data.draw(st.characters(codec="utf-8").filter(lambda c: c != note[pos]))
    mutated = note[:pos] + char + note[pos + 1 :]
    with pytest.raises(CheckpointError):
        require_cosigners(open_note(mutated, OFFICERS))


# --- short codes


def test_short_code_format() -> None:
    assert short_code(412, ROOT) == "412 · IFBV-KA3U-ISM7-6TTB-Y"
    assert short_code(7, bytes(range(32))) == "7 · AAAQ-EAYE-AUDA-OCAJ-E"
    expected = base64.b32encode(ROOT[:10]).decode()
    assert short_code(412, ROOT).split(" · ")[1].replace("-", "")[:16] == expected
    assert re.fullmatch(
        r"412 · [A-Z2-7]{4}(-[A-Z2-7]{4}){3}-[A-Z2-7]", short_code(412, ROOT)
    )
    with pytest.raises(CheckpointError, match="negative tree size"):
        short_code(-1, ROOT)
    with pytest.raises(CheckpointError, match="got 10 bytes, expected 32"):
        short_code(1, ROOT[:10])


@pytest.mark.parametrize(
    "typed",
    [
        "412 · IFBV-KA3U-ISM7-6TTB-Y",
        "412:IFBV-KA3U-ISM7-6TTB-Y",
        "412: ifbv ka3u ism7 6ttb y",
        "412 · ifbvka3uism76ttby",
        "  412  IFBV KA3U ISM7 6TTB Y ",
        "412：IFBV–KA3U–ISM7–6TTB–Y",
        "412.1FBV-KA3U-1SM7-6TT8-Y",
        "412:ifbv-ka3u-1sm7-6tt8-y",
    ],
)
def test_parse_short_code_is_lenient(typed: str) -> None:
    size, chars = parse_short_code(typed)
    assert (size, chars) == (412, "IFBVKA3UISM76TTB")
    assert shortcode.parse(typed).checked
    assert code_matches(chars, ROOT)


def test_a_code_without_check_symbol_is_a_mistyped_code() -> None:
    """Review finding: one character dropped from a checked code left 16,
    which used to be accepted unchecked and then read as a fork."""
    with pytest.raises(shortcode.MistypedCodeError, match="16 characters"):
        shortcode.parse("412:IFBV-KA3U-ISM7-6TTB")
    full = "412:IFBV-KA3U-ISM7-6TTB-Y"
    assert shortcode.parse(full).checked
    for i in range(4, len(full)):
        if full[i] != "-":
            with pytest.raises(shortcode.MistypedCodeError):
                shortcode.parse(full[:i] + full[i + 1 :])


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("IFBV-KA3U-ISM7-6TTB-Y", "expected SIZE:CODE"),
        ("412", "expected SIZE:CODE"),
        ("412IFBV-KA3U-ISM7-6TTB-Y", "expected SIZE:CODE"),
        ("412:IFBV-KA3U-ISM7-6TT", "got 15 characters, expected 17"),
        ("412:IFBV-KA3U-ISM7-6TTB-YA", "got 18 characters, expected 17"),
        ("412:IFBV-KA3U-ISM7-6TT9-Y", "'9' is not a base32 character"),
        ("-3:IFBV-KA3U-ISM7-6TTB-Y", "expected SIZE:CODE"),
        ("412:IFBV-KA3U-ISM7-6TTB-A", "check symbol does not match"),
        ("412:IFBV-KA3U-ISN7-6TTB-Y", "check symbol does not match"),
        ("412:IFBV-KA3U-IS7M-6TTB-Y", "check symbol does not match"),
        ("421:IFBV-KA3U-ISM7-6TTB-Y", "check symbol does not match"),
    ],
)
def test_parse_short_code_rejects_as_mistyped(typed: str, message: str) -> None:
    with pytest.raises(shortcode.MistypedCodeError, match=message) as e:
        parse_short_code(typed)
    assert e.value.exit_code == 2


@given(
    st.integers(min_value=1, max_value=10**6),
    st.binary(min_size=32, max_size=32),
    st.data(),
)
def test_one_substitution_or_swap_is_always_caught(
    size: int, root: bytes, data: st.DataObject
) -> None:
    """The check symbol catches every single substitution and adjacent swap."""
    chars = short_code(size, root).split(" · ")[1].replace("-", "")
    i = data.draw(st.integers(min_value=0, max_value=16))
    if data.draw(st.booleans()) and i < 16 and chars[i] != chars[i + 1]:
        typed = chars[:i] + chars[i + 1] + chars[i] + chars[i + 2 :]
    else:
        c = data.draw(
            st.sampled_from(shortcode.ALPHABET).filter(lambda c: c != chars[i])
        )
        typed = chars[:i] + c + chars[i + 1 :]
    with pytest.raises(shortcode.MistypedCodeError):
        shortcode.parse(f"{size}:{typed}")


def test_code_mismatch_detected() -> None:
    _, chars = parse_short_code(short_code(412, ROOT))
    other = hashlib.sha256(b"another root").digest()
    assert not code_matches(chars, other)
    assert not code_matches("JFBVKA3UISM76TTB", ROOT)
    assert code_matches("ifbv-ka3u-ism7-6ttb", ROOT)
    assert code_matches("ifbv-ka3u-ism7-6ttb-y", ROOT)


@given(
    st.integers(min_value=0, max_value=2**64 - 1), st.binary(min_size=32, max_size=32)
)
def test_short_code_round_trip(size: int, root: bytes) -> None:
    code = short_code(size, root)
    parsed_size, chars = parse_short_code(code)
    assert parsed_size == size
    assert code_matches(chars, root)
    assert parse_short_code(code.lower().replace(" · ", ":")) == (size, chars)
