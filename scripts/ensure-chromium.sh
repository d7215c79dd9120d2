#!/usr/bin/env bash
# Make Debian's chromium and poppler-utils available for `fangpin report --pdf` and its browser
# test (tests/e2e/test_report.py: chromium renders and prints the report, poppler's pdftoppm,
# pdftotext and pdfinfo read the PDF back). Quiet and exit 0 when both are already installed;
# otherwise install the Debian packages with apt-get, which needs root (CI and sessions run as
# root). Nothing else is downloaded: Debian's packages bring their own libraries and fonts.
set -euo pipefail

find_chromium() {
    command -v chromium || command -v chromium-browser || true
}

packages=()
if [[ -z "$(find_chromium)" ]]; then
    # fonts-noto-cjk: the report is in Chinese and English; without CJK fonts the screenshot
    # shows boxes (the DOM checks would still pass, the screenshot would not be worth looking at).
    packages+=(chromium fonts-noto-cjk)
fi
if ! command -v pdftoppm >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
    packages+=(poppler-utils)
fi
if [[ ${#packages[@]} -eq 0 ]]; then
    exit 0
fi

if [[ "$(id -u)" != "0" ]]; then
    echo "ensure-chromium: ${packages[*]} not installed and installing needs root" \
         "(run: sudo apt-get update && sudo apt-get install -y ${packages[*]})" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: ${packages[*]} not installed and there is no apt-get to install them" >&2
    exit 1
fi

echo "ensure-chromium: installing Debian's ${packages[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

if [[ -z "$(find_chromium)" ]] || ! command -v pdftoppm >/dev/null 2>&1; then
    echo "ensure-chromium: apt-get finished but chromium or pdftoppm is not on PATH" >&2
    exit 1
fi
