#!/usr/bin/env bash
# Debian's Chromium for the dashboard's browser tests (test/browser/), installed once: re-runs only
# report the version. playwright-core drives it (its own browser downloads need the internet); the
# recommended packages bring the fonts the screenshots are drawn with.
set -euo pipefail

chromium=/usr/bin/chromium

if [[ -x $chromium ]]; then
  echo "[browser] $chromium present: $("$chromium" --version 2>/dev/null || echo 'version unknown')"
  exit 0
fi

if ((EUID != 0)); then
  echo "[browser] $chromium is missing and installing it needs root: run 'sudo $0' (or apt-get install chromium)" >&2
  exit 1
fi

command -v apt-get >/dev/null || { echo "[browser] apt-get not found: install Chromium at $chromium by hand" >&2; exit 1; }

echo "[browser] apt-get update"
apt-get update -qq
echo "[browser] apt-get install chromium (a minute or two)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[[ -x $chromium ]] || { echo "[browser] chromium installed but $chromium is missing" >&2; exit 1; }
echo "[browser] installed: $("$chromium" --version 2>/dev/null || echo 'version unknown')"
