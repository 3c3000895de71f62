#!/usr/bin/env bash
# Build a realistic exam-week vault from examples/ through the real CLI,
# verify it and print the report. Run by `make demo`; safe to re-run.
# DEMO_DIR (default ./demo-vault) is where it goes; DEMO_PLANT=1 plants five
# violations, recorded with --force, for verify to find.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${DEMO_DIR:-$PWD/demo-vault}"
rm -rf "$out"
mkdir -p "$out"
cp "$here/site.toml" "$out/site.toml"
export VAULTCTL_KEY_DIR="$out/keys" VAULTCTL_VAULT="$out/vault"
officers=$(sed -n 's/^id = "\(O-[0-9]*\)"/\1/p' "$here/site.toml")
total=$(echo $officers | wc -w)
n=0
for id in $officers; do
  n=$((n + 1))
  # NOTE: demo passphrases come from the environment; real officers type them.
  export "VAULTCTL_PASSPHRASE_${id//-/_}=demo-$id"
  echo "== key $n of $total: $id" >&2
  # NOTE: published demo keys with a cheap KDF (examples/site.toml says
  # demo = true); a real site's init refuses them
  vaultctl keys generate --demo "$id" >/dev/null
done
echo "== generated keys for $(echo $officers | wc -w) officers in $VAULTCTL_KEY_DIR"
cd "$out"
echo "== recording the exam week (a line per day; transcript in $out/build.log)" >&2
python "$here/exam_week.py" ${DEMO_PLANT:+--plant} site.toml > build.log
echo "== $(grep -c '^\$ vaultctl' build.log) commands recorded; the full transcript is in $out/build.log"
echo
echo "\$ vaultctl status"
vaultctl status
echo
echo "\$ vaultctl verify"
set +e
vaultctl verify
code=$?
echo "(exit $code)"
