#!/usr/bin/env bash
# System packages hudong needs beyond Python wheels: CJK fonts (Chinese in PDFs and screenshots),
# libharfbuzz-subset0 (fast font subsetting in PDFs), poppler-utils (pdftotext/pdftoppm, used by the report tests)
# chromium (the web UI browser test), postgresql and npm (the local AT Protocol network of the Bluesky tests).
set -euo pipefail
need=()
fc-list :lang=zh 2>/dev/null | grep -qi "noto" || need+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
# weasyprint subsets fonts with harfbuzz when it can; without it a CJK PDF takes ~10x longer.
ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || need+=(libharfbuzz-subset0)
# The web browser test drives Debian chromium through Playwright (never `playwright install`).
[ -x /usr/bin/chromium ] || need+=(chromium)
# The Bluesky connector's end-to-end tests run the reference AT Protocol servers (tests/atnet): their AppView needs
# Postgres, and npm installs them (with Node 22 from the npm registry).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v npm >/dev/null 2>&1 || need+=(npm)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${need[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "note: install these system packages for full output: ${need[*]} (e.g. sudo apt-get install ${need[*]})" >&2
fi
