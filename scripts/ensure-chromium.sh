#!/usr/bin/env bash
# Make Debian's chromium available for the headless browser test of `fangpin report`
# (tests/e2e/test_report.py). Quiet and exit 0 when chromium is already installed; otherwise
# install the Debian package with apt-get, which needs root (CI and sessions run as root).
# Nothing else is downloaded: Debian's package brings its own libraries and fonts.
set -euo pipefail

find_chromium() {
    command -v chromium || command -v chromium-browser || true
}

if [[ -n "$(find_chromium)" ]]; then
    exit 0
fi

if [[ "$(id -u)" != "0" ]]; then
    echo "ensure-chromium: chromium is not installed and installing it needs root" \
         "(run: sudo apt-get update && sudo apt-get install -y chromium)" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: chromium is not installed and there is no apt-get to install it" >&2
    exit 1
fi

echo "ensure-chromium: installing Debian's chromium (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# fonts-noto-cjk: the report is in Chinese and English; without CJK fonts the screenshot shows
# boxes (the DOM checks would still pass, the screenshot would not be worth looking at).
apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null

if [[ -z "$(find_chromium)" ]]; then
    echo "ensure-chromium: apt-get finished but no chromium binary is on PATH" >&2
    exit 1
fi
