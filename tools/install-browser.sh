#!/usr/bin/env bash
# The report tests drive a real headless Chromium and need CJK fonts (so
# Chinese pages render without tofu boxes). Install both from Debian's
# packages when missing; `make test` and CI call this, never a person by hand.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install Chromium and the Noto CJK fonts (the report tests need them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
echo "installing chromium and fonts-noto-cjk for the browser tests…" >&2
$sudo apt-get update -qq </dev/null
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk </dev/null >/dev/null
