"""Benchmark the cost of one passphrase guess against a vaultctl key file.

Reproduce: ``.venv/bin/python bench/bench_kdf.py [ROUNDS]``. Prints the
seconds one scrypt derivation with the key file's parameters takes (what an
attacker pays per guess, on this machine) beside PBKDF2-SHA256 with 2,048
iterations (what vaultctl 0.1's key files cost), and their ratio.
"""

from __future__ import annotations

import hashlib
import json
import platform
import statistics
import sys
import time

from vaultctl.core import keyfile


def timed(fn: object, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n, r, p = keyfile.SCRYPT_N, keyfile.SCRYPT_R, keyfile.SCRYPT_P
    guess = b"a-wrong-guess"
    scrypt = timed(
        lambda: hashlib.scrypt(
            guess, salt=b"s" * 16, n=n, r=r, p=p, maxmem=2**30, dklen=32
        ),
        rounds,
    )
    pbkdf2 = timed(lambda: hashlib.pbkdf2_hmac("sha256", guess, b"s" * 16, 2048), 50)
    out = {
        "machine": platform.processor() or platform.machine(),
        "scrypt": {"n": n, "r": r, "p": p, "mib": 128 * r * n / 2**20},
        "scrypt_s_per_guess": round(scrypt, 4),
        "pbkdf2_2048_s_per_guess": round(pbkdf2, 6),
        "ratio": round(scrypt / pbkdf2),
    }
    print(
        f"scrypt N=2^{n.bit_length() - 1} r={r} p={p} ({out['scrypt']['mib']:.0f} MiB)"
        f": {scrypt:.3f} s a guess (median of {rounds})"
    )
    print(f"PBKDF2-SHA256 x2048 (vaultctl 0.1): {pbkdf2 * 1000:.2f} ms a guess")
    print(f"ratio: {out['ratio']}x")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
