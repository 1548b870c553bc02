#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for STORE=postgres tests and benches (Debian's
# server binaries; installed with apt when missing and we are root).
#
#   scripts/postgres.sh up DIR PORT   initdb in DIR (if new), start on 127.0.0.1:PORT, print the URL
#   scripts/postgres.sh down DIR      stop the cluster in DIR (fast shutdown)
#
# Trust auth on loopback only; fsync off (test data); pg_stat_statements loaded (benches count statements). Run as the postgres user when we are root,
# since PostgreSQL refuses to run as root.
set -euo pipefail
cmd=${1:?up|down}
dir=${2:?data directory}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bindir" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  else
    echo "PostgreSQL is not installed (apt-get install postgresql), or set TEST_DATABASE_URL" >&2
    exit 1
  fi
fi

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  up)
    port=${3:?port}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_pg "$bindir/initdb" -D "$dir" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_pg "$bindir/pg_ctl" -D "$dir" -l "$dir/log" -w -t 30 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_preload_libraries=pg_stat_statements" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  down)
    as_pg "$bindir/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
