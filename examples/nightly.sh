#!/usr/bin/env bash
# Nightly check of a site's vault, run by cron or a systemd timer.
#
#   VAULTCTL_VAULT=/srv/vault REPORT_DIR=/srv/vault-reports examples/nightly.sh
#
# Verifies the log non-interactively against every code phoned in before
# (kept in $REPORT_DIR/codes.txt), keeps the JSON report with the date in its
# name, and prints tonight's short code for the duty officers to phone in to
# the exam centre - only when the log is intact (verify exit 0 or 1). The code
# needs no signature: the centre's record of when it heard it is the anchor.
# Exits with verify's code; non-zero prints a summary.
set -uo pipefail
: "${VAULTCTL_VAULT:?set VAULTCTL_VAULT to the vault directory}"
report_dir="${REPORT_DIR:-$VAULTCTL_VAULT/../vault-reports}"
mkdir -p "$report_dir"
today="$(date +%F)"
report="$report_dir/verify-$today.json"
codes=()
if [ -f "$report_dir/codes.txt" ]; then
  while read -r day code; do
    [ -n "$code" ] && codes+=(--code "$code")
  done < "$report_dir/codes.txt"
fi
vaultctl verify --json "${codes[@]}" > "$report"
status=$?
if [ $status -eq 4 ] || [ ! -s "$report" ]; then
  echo "vaultctl nightly $today: the vault cannot be read (exit $status)" >&2
  exit 4
fi
summary=$(python3 - "$report" <<'PY'
import collections, json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
print(r["code"])
ints = collections.Counter(f["code"] for f in r["integrity"])
rules = collections.Counter(f["rule"] for f in r["findings"] if f["level"] == "error")
parts = [f"{r['entries']} entries, head {r['head'][:16]}, code {r['code']}."]
if ints:
    parts.append("INTEGRITY FAILURE: " + ", ".join(f"{c} x{n}" for c, n in ints.items())
                 + " - the log cannot be trusted; do not write to it, call the centre.")
if rules:
    parts.append("Compliance findings: " + ", ".join(f"{c} x{n}" for c, n in rules.items())
                 + ". Run 'vaultctl verify' for the explanations.")
print(" ".join(parts))
PY
)
code="$(echo "$summary" | head -1)"
if [ $status -eq 0 ] || [ $status -eq 1 ]; then
  # only the code of an intact log is phoned in and kept as an anchor
  if ! grep -qF " ${code/ · /:}" "$report_dir/codes.txt" 2>/dev/null; then
    echo "$today ${code/ · /:}" >> "$report_dir/codes.txt"
  fi
  echo "tonight's code to phone in: $code"
else
  echo "no code to phone in tonight: the log fails verification; call the centre"
fi
echo "report: $report"
if [ $status -ne 0 ]; then
  echo "vaultctl nightly $today (exit $status): $(echo "$summary" | tail -1)" >&2
fi
exit $status
