"""site.toml to genesis body: a valid site, then one test per error naming its field."""

from __future__ import annotations

import base64
import hashlib
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import OFFICERS, private_key, site_toml
from vaultctl.core import canonical, schema
from vaultctl.core.errors import ConfigError
from vaultctl.store import config


def raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def public_line(seed: int) -> str:
    raw = raw_public(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))
    return "ed25519:" + base64.b64encode(raw).decode("ascii")


def parsed(extra: str = "") -> dict[str, Any]:
    return tomllib.loads(site_toml(extra))


def build(raw: dict[str, Any], base: Path | None = None) -> dict[str, Any]:
    return config.build(raw, base or Path("/nonexistent"))


def officer(
    officer_id: str, seed: int, roles: list[str] | None = None, **more: Any
) -> dict[str, Any]:
    return {
        "id": officer_id,
        "name": "测试",
        "roles": roles or ["custodian"],
        "public_key": public_line(seed),
        **more,
    }


def refused(raw: dict[str, Any], *parts: str, base: Path | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        build(raw, base)
    message = str(info.value)
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


# --- a valid site -------------------------------------------------------------------


@pytest.fixture
def body(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "site.toml"
    path.write_text(site_toml(), "utf-8")
    return config.load(path)


def test_valid_config_passes_the_genesis_schema(body: dict[str, Any]) -> None:
    schema.check_body("genesis", body)
    assert canonical.first_non_nfc(body) is None
    canonical.encode(body)  # encodable: no floats, no dates, no None


def test_site_section(body: dict[str, Any]) -> None:
    assert body["site"] == {
        "id": "S-TEST-01",
        "name": "测试考点",
        "exam": "2026年测试考试",
        "timezone": "Asia/Shanghai",
        "exam_start": "2026-06-07",
        "exam_end": "2026-06-08",
    }
    assert body["policy"] == {"params": {}, "levels": {}}


def test_session_times_are_stored_with_site_offset(body: dict[str, Any]) -> None:
    assert body["sessions"] == [
        {
            "id": "S-0607-AM",
            "subject": "语文",
            "start": "2026-06-07T09:00:00+08:00",
            "end": "2026-06-07T11:30:00+08:00",
            "exam_rooms": {"E01": "O-101"},
        }
    ]


def test_officer_keys_are_inlined_with_their_ids(body: dict[str, Any]) -> None:
    assert [o["id"] for o in body["officers"]] == [o[0] for o in OFFICERS]
    for entry, (officer_id, name, roles) in zip(
        body["officers"], OFFICERS, strict=True
    ):
        raw = raw_public(private_key(officer_id))
        assert entry == {
            "id": officer_id,
            "name": name,
            "roles": roles,
            "trained": "2026-05-20",
            "conflict": False,
            "keys": [
                {
                    "key": hashlib.sha256(raw).hexdigest()[:16],
                    "public_key": "ed25519:" + base64.b64encode(raw).decode(),
                }
            ],
        }


def test_rooms_cabinets_cameras(body: dict[str, Any]) -> None:
    assert body["rooms"] == [
        {
            "id": "R1",
            "name": "试卷保密室",
            "doors": [
                {"id": "D1", "name": "防盗门", "keys": ["K-D1"]},
                {"id": "D2", "name": "内门", "keys": ["K-D2"]},
            ],
        }
    ]
    assert body["cabinets"] == [
        {"id": "C1", "room": "R1", "keys": ["K-C1-A", "K-C1-B"], "codes": []}
    ]
    assert body["cameras"] == [{"id": "CAM-1", "room": "R1"}]


def test_policy_params_and_levels() -> None:
    text = site_toml().replace(
        "[[officers]]",
        "[policy]\nshift_min_members = 3\n[policy.levels]\n"
        'PATROL = "off"\nKEY-SPLIT = "warn"\n\n[[officers]]',
        1,
    )
    body = build(tomllib.loads(text))
    assert body["policy"] == {
        "params": {"shift_min_members": 3},
        "levels": {"PATROL": "off", "KEY-SPLIT": "warn"},
    }


def test_toml_native_dates_and_times() -> None:
    text = (
        site_toml()
        .replace('exam_start = "2026-06-07"', "exam_start = 2026-06-07")
        .replace('start = "2026-06-07T09:00"', "start = 2026-06-07T09:00:00")
        .replace('end = "2026-06-07T11:30"', "end = 2026-06-07T03:30:00Z")
        .replace('trained = "2026-05-20"', "trained = 2026-05-20")
    )
    body = build(tomllib.loads(text))
    assert body["site"]["exam_start"] == "2026-06-07"
    assert body["sessions"][0]["start"] == "2026-06-07T09:00:00+08:00"
    assert body["sessions"][0]["end"] == "2026-06-07T11:30:00+08:00"
    assert {o["trained"] for o in body["officers"]} == {"2026-05-20"}


def test_time_with_another_offset_is_converted_to_site_zone() -> None:
    raw = parsed()
    raw["sessions"][0]["start"] = "2026-06-07T10:00+09:00"
    assert build(raw)["sessions"][0]["start"] == "2026-06-07T09:00:00+08:00"


def test_optional_officer_fields() -> None:
    raw = parsed()
    del raw["officers"][6]["trained"]
    raw["officers"][6]["conflict"] = True
    raw["cabinets"][0]["codes"] = ["CODE-C1"]
    body = build(raw)
    assert "trained" not in body["officers"][6]
    assert body["officers"][6]["conflict"] is True
    assert body["cabinets"][0]["codes"] == ["CODE-C1"]


def test_strings_are_nfc_normalised() -> None:
    raw = parsed()
    raw["site"]["name"] = "cafe\u0301"
    raw["officers"][0]["name"] = "Ame\u0301lie"
    body = build(raw)
    assert body["site"]["name"] == "caf\u00e9"
    assert body["officers"][0]["name"] == "Am\u00e9lie"


def test_build_does_not_mutate_its_input() -> None:
    raw = parsed()
    snapshot = tomllib.loads(site_toml())
    build(raw)
    assert raw == snapshot


def test_public_key_file_relative_to_the_toml_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "site"
    (folder / "keys").mkdir(parents=True)
    raw = raw_public(private_key("O-003"))
    line = "ed25519:" + base64.b64encode(raw).decode()
    (folder / "keys" / "O-003.pub").write_text(f"{line} O-003\n", "utf-8")
    text = site_toml().replace(
        f'public_key = "{line}"', 'public_key_file = "keys/O-003.pub"'
    )
    assert "public_key_file" in text
    (folder / "site.toml").write_text(text, "utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    body = config.load(folder / "site.toml")
    o3 = next(o for o in body["officers"] if o["id"] == "O-003")
    assert o3["keys"] == [
        {"key": hashlib.sha256(raw).hexdigest()[:16], "public_key": line}
    ]
    assert "public_key_file" not in o3


# --- errors, one per field ------------------------------------------------------------


def test_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(site_toml() + "\n[site\n", "utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="site.toml"):
        config.load(tmp_path / "site.toml")


def test_unknown_section() -> None:
    refused(parsed("\n[extras]\nx = 1\n"), "extras", "unknown section")


def test_missing_site() -> None:
    raw = parsed()
    del raw["site"]
    refused(raw, "site")


@pytest.mark.parametrize("name", ["id", "name", "exam", "exam_start", "exam_end"])
def test_missing_site_field(name: str) -> None:
    raw = parsed()
    del raw["site"][name]
    refused(raw, f"site.{name}")


def test_unknown_field_in_site() -> None:
    # officers refuse unknown fields; [site] must too (an extra field in the
    # genesis is a place to hide things, and here it is silently dropped).
    raw = parsed()
    raw["site"]["exam_ends"] = "2026-06-09"
    refused(raw, "site", "exam_ends")


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "", "Asia/Shanghai ", "../etc/passwd"]
)
def test_bad_timezone(zone: str) -> None:
    raw = parsed()
    raw["site"]["timezone"] = zone
    refused(raw, "site.timezone")


def test_missing_timezone() -> None:
    raw = parsed()
    del raw["site"]["timezone"]
    refused(raw, "site.timezone")


@pytest.mark.parametrize("value", ["2026-02-30", "2026-6-7", "07/06/2026", "tomorrow"])
def test_bad_exam_date(value: str) -> None:
    raw = parsed()
    raw["site"]["exam_start"] = value
    refused(raw, "site.exam_start")


def test_exam_end_before_exam_start() -> None:
    raw = parsed()
    raw["site"]["exam_end"] = "2026-06-06"
    refused(raw, "site.exam_end")


def test_one_day_exam_is_fine() -> None:
    raw = parsed()
    raw["site"]["exam_end"] = raw["site"]["exam_start"]
    assert build(raw)["site"]["exam_end"] == "2026-06-07"


@pytest.mark.parametrize("end", ["2026-06-07T08:59", "2026-06-07T09:00"])
def test_session_end_not_after_start(end: str) -> None:
    raw = parsed()
    raw["sessions"][0]["end"] = end
    refused(raw, "sessions[0]", "end")


def test_session_end_before_start_across_a_dst_change() -> None:
    # America/New_York, 2026-11-01: 06:10Z is 01:10-05:00 and 01:30 (first fold)
    # is 01:30-04:00 = 05:30Z, forty minutes *earlier*. Comparing the stored
    # strings says otherwise; the times must be compared as instants.
    raw = parsed()
    raw["site"]["timezone"] = "America/New_York"
    raw["sessions"][0]["start"] = "2026-11-01T06:10:00+00:00"
    raw["sessions"][0]["end"] = "2026-11-01T01:30"
    refused(raw, "sessions[0]")


@pytest.mark.parametrize("value", ["9am", "2026-06-07T25:00", 900, True])
def test_bad_session_time(value: Any) -> None:
    raw = parsed()
    raw["sessions"][0]["start"] = value
    refused(raw, "sessions[0].start")


def test_unknown_officer_in_exam_rooms() -> None:
    raw = parsed()
    raw["sessions"][0]["exam_rooms"]["E02"] = "O-999"
    refused(raw, "sessions[0].exam_rooms.E02", "O-999")


def test_duplicate_session_id() -> None:
    raw = parsed()
    raw["sessions"].append(dict(raw["sessions"][0]))
    refused(raw, "sessions", "S-0607-AM")


def test_duplicate_officer_id() -> None:
    raw = parsed()
    raw["officers"].append(officer("O-003", 50))
    refused(raw, "officers", "O-003")


def test_ids_with_the_same_passphrase_variable() -> None:
    raw = parsed()
    raw["officers"] += [officer("O-1", 51), officer("o.1", 52)]
    refused(raw, "officers", "passphrase variable")


def test_same_public_key_for_two_officers() -> None:
    raw = parsed()
    raw["officers"].append(officer("O-777", 50))
    raw["officers"].append(officer("O-778", 50))
    refused(raw, "officers", "public key")


def test_key_of_an_existing_officer_reused() -> None:
    raw = parsed()
    raw["officers"].append(officer("O-777", 50))
    raw["officers"][-1]["public_key"] = raw["officers"][2]["public_key"]
    refused(raw, "officers", "public key")


def test_both_public_key_and_public_key_file() -> None:
    raw = parsed()
    raw["officers"][1]["public_key_file"] = "keys/O-002.pub"
    refused(raw, "officers[1]", "public_key_file")


def test_missing_public_key() -> None:
    raw = parsed()
    del raw["officers"][1]["public_key"]
    refused(raw, "officers[1]", "public_key")


def test_unreadable_public_key_file(tmp_path: Path) -> None:
    raw = parsed()
    del raw["officers"][1]["public_key"]
    raw["officers"][1]["public_key_file"] = "keys/nope.pub"
    refused(raw, "officers[1].public_key_file", base=tmp_path)


@pytest.mark.parametrize(
    "key",
    [
        "ssh-ed25519 AAAA",
        "ed25519:!!!!",
        "ed25519:" + base64.b64encode(bytes(31)).decode(),
        "ed25519:" + base64.b64encode(bytes(32)).decode(),  # small order
        "ed25519:" + base64.b64encode((1).to_bytes(32, "little")).decode(),  # identity
        42,
    ],
)
def test_bad_public_key(key: Any) -> None:
    raw = parsed()
    raw["officers"][1]["public_key"] = key
    refused(raw, "officers[1].public_key")


def test_non_ascii_public_key_is_a_config_error() -> None:
    raw = parsed()
    raw["officers"][1]["public_key"] = raw["officers"][1]["public_key"][:-2] + "é="
    refused(raw, "officers[1].public_key")


def test_unknown_role() -> None:
    raw = parsed()
    raw["officers"][3]["roles"] = ["custodian", "janitor"]
    refused(raw, "officers[3].roles[1]", "janitor")


@pytest.mark.parametrize("role", ["site_head", "room_head"])
def test_required_role_missing(role: str) -> None:
    raw = parsed()
    for o in raw["officers"]:
        o["roles"] = [r for r in o["roles"] if r != role] or ["custodian"]
    refused(raw, role)


def test_unknown_field_on_an_officer() -> None:
    raw = parsed()
    raw["officers"][4]["shoe_size"] = 42
    refused(raw, "officers[4]", "shoe_size")


@pytest.mark.parametrize(
    ("field", "value"), [("trained", "2026-02-30"), ("conflict", "no"), ("name", 7)]
)
def test_bad_officer_field(field: str, value: Any) -> None:
    raw = parsed()
    raw["officers"][4][field] = value
    refused(raw, f"officers[4].{field}")


def test_unknown_field_on_a_room() -> None:
    # like [site]: an extra field on a room is silently dropped today.
    raw = parsed()
    raw["rooms"][0]["floor"] = "B1"
    refused(raw, "rooms[0]", "floor")


def test_duplicate_door_id() -> None:
    raw = parsed()
    raw["rooms"][0]["doors"][1]["id"] = "D1"
    refused(raw, "rooms", "D1")


def test_duplicate_cabinet_id() -> None:
    raw = parsed()
    raw["cabinets"].append({"id": "C1", "room": "R1", "keys": ["K-C2"]})
    refused(raw, "C1")


def test_duplicate_camera_id() -> None:
    raw = parsed()
    raw["cameras"].append({"id": "CAM-1", "room": "R1"})
    refused(raw, "CAM-1")


def test_cabinet_with_the_id_of_a_room() -> None:
    raw = parsed()
    raw["cabinets"][0]["id"] = "R1"
    refused(raw, "R1")


def test_key_id_used_by_a_door_and_a_cabinet() -> None:
    raw = parsed()
    raw["cabinets"][0]["keys"] = ["K-C1-A", "K-D1"]
    refused(raw, "K-D1")


def test_code_id_reusing_a_key_id() -> None:
    raw = parsed()
    raw["cabinets"][0]["codes"] = ["K-C1-A"]
    refused(raw, "K-C1-A")


@pytest.mark.parametrize("section", ["cabinets", "cameras"])
def test_item_in_unknown_room(section: str) -> None:
    raw = parsed()
    raw[section][0]["room"] = "R9"
    refused(raw, f"{section}[0].room", "R9")


def test_missing_room_field() -> None:
    raw = parsed()
    del raw["rooms"][0]["doors"]
    refused(raw, "rooms[0].doors")


@pytest.mark.parametrize("section", ["officers", "rooms", "cabinets", "sessions"])
def test_section_must_be_an_array_of_tables(section: str) -> None:
    raw = parsed()
    raw[section] = {"id": "x"}
    refused(raw, section)


def test_bad_policy_level() -> None:
    raw = parsed()
    raw["policy"] = {"levels": {"PATROL": "loud"}}
    refused(raw, "policy.levels.PATROL")


def test_non_integer_policy_param() -> None:
    raw = parsed()
    raw["policy"] = {"shift_min_members": "3"}
    refused(raw, "policy.params.shift_min_members")


@pytest.mark.parametrize(
    ("policy", "where"),
    [
        ({"no_such_param": 1}, "policy.no_such_param"),
        ({"shift_min_members": -1}, "policy.shift_min_members"),
        ({"levels": {"NO-SUCH-RULE": "off"}}, "policy.levels.NO-SUCH-RULE"),
    ],
)
def test_policy_unknown_or_negative(policy: dict[str, Any], where: str) -> None:
    raw = parsed()
    raw["policy"] = policy
    refused(raw, where)
