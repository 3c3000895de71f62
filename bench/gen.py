"""Generate a signed vault of N entries quickly, for benchmarks (not for tests).

Entries are built with the library's own ``writer.build`` and written in one
go, so generating 100k entries does not replay the log on every append.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultctl import canonical, keys, model, writer
from vaultctl.state import State

START = datetime.fromisoformat("2026-06-05T08:00:00+08:00")


def officer(i: int, role: str) -> tuple[dict[str, object], Ed25519PrivateKey]:
    private = Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32)
    raw = keys.raw_public(private)
    return (
        {
            "id": f"O-{i:03d}",
            "name": f"官员{i}",
            "roles": [role],
            "keys": [
                {"key": keys.key_id(raw), "public_key": keys.format_public_key(raw)}
            ],
            "trained": "2026-05-20",
            "conflict": False,
        },
        private,
    )


def genesis_body(officers: list[dict[str, object]]) -> dict[str, object]:
    return {
        "site": {
            "id": "S-BENCH",
            "name": "基准考点",
            "exam": "基准",
            "timezone": "Asia/Shanghai",
            "exam_start": "2026-06-07",
            "exam_end": "2026-06-09",
        },
        "policy": {"params": {}, "levels": {}},
        "officers": officers,
        "rooms": [{"id": "R1", "name": "保密室", "doors": []}],
        "cabinets": [],
        "cameras": [],
        "sessions": [],
    }


def generate(path: Path, n: int) -> Path:
    """Write ``path/ledger.jsonl`` with a genesis and ``n - 1`` notes."""
    people = [officer(1, "site_head"), officer(2, "room_head"), officer(3, "custodian")]
    signers = [writer.Signer(str(o["id"]), k) for o, k in people]
    state = State()
    path.mkdir(parents=True, exist_ok=True)
    with (path / "ledger.jsonl").open("wb") as f:
        for i in range(n):
            ts = model.format_ts(START + timedelta(seconds=30 * i))
            kind, body = (
                ("genesis", genesis_body([o for o, _ in people]))
                if i == 0
                else ("note", {"text": f"第{i}条值班记录：门锁、封条完好"})
            )
            pair = signers[:2] if i == 0 else [signers[i % 3], signers[(i + 1) % 3]]
            entry = writer.build(state, ts, kind, body, pair)
            state.apply(entry)
            f.write(canonical.encode(entry.to_dict()) + b"\n")
    return path


if __name__ == "__main__":
    generate(Path(sys.argv[1]), int(sys.argv[2]))
