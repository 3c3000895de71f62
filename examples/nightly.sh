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
# NOTE: messages in Chinese when the locale is Chinese (LANG=zh_CN.UTF-8)
say() { case "${LC_ALL:-${LANG:-}}" in zh*) echo "$2" ;; *) echo "$1" ;; esac; }
# NOTE: cron's PATH is short: use $VAULTCTL, or vaultctl on PATH, or say so
vaultctl="${VAULTCTL:-$(command -v vaultctl || true)}"
if [ -z "$vaultctl" ] || [ ! -x "$vaultctl" ]; then
  say "vaultctl nightly: vaultctl is not on PATH (cron's PATH is short); set VAULTCTL=/path/to/.venv/bin/vaultctl in the crontab" \
      "vaultctl 夜间校验：找不到 vaultctl（cron 的 PATH 很短）；请在 crontab 中设置 VAULTCTL=/路径/.venv/bin/vaultctl" >&2
  exit 4
fi
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
# NOTE: written to a temporary file first: no empty report is ever left
"$vaultctl" verify --json "${codes[@]}" > "$report.tmp"
status=$?
if [ $status -eq 4 ] || [ ! -s "$report.tmp" ]; then
  rm -f "$report.tmp"
  say "vaultctl nightly $today: the vault cannot be read (exit $status)" \
      "vaultctl 夜间校验 $today：无法读取记录库（退出码 $status）" >&2
  exit 4
fi
mv "$report.tmp" "$report"
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
  say "tonight's code to phone in: $code" "今晚电话报送的校验码：$code"
else
  say "no code to phone in tonight: the log fails verification; call the centre" \
      "今晚不报送校验码：记录未通过完整性校验，请立即联系考试中心"
fi
say "report: $report" "报告：$report"
if [ $status -ne 0 ]; then
  echo "vaultctl nightly $today (exit $status): $(echo "$summary" | tail -1)" >&2
fi
exit $status
