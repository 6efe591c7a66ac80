#!/usr/bin/env bash
# Throwaway Postgres 15 cluster for dev-env, as the non-root `postgres` user.
# usage: ./pg.sh init|start|stop|destroy|url     (PGPORT env overrides 55432)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGPORT=${PGPORT:-55432}
DATA=$HERE/pg/data SOCK=$HERE/pgsock
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-}" in
  init)
    mkdir -p "$HERE/pg" "$SOCK"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$HERE/pg" "$SOCK"
    as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null ;;
  start)
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$HERE/pg/server.log" -w -o \
      "-c listen_addresses=127.0.0.1 -p $PGPORT -k $SOCK -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null ;;
  stop)
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null ;;
  destroy)
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$HERE/pg" "$SOCK" ;;
  url) echo "postgresql://postgres@127.0.0.1:$PGPORT/postgres" ;;
  *) echo "usage: $0 init|start|stop|destroy|url" >&2; exit 2 ;;
esac
