#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the scale-out tests and print the variables to
# export. Usage: eval "$(bash .ci/postgres.sh)"   (stop it with: bash .ci/postgres.sh stop DIR)
#
# initdb and postgres refuse to run as root, so the cluster is created and run as the
# `postgres` user (Debian's package creates it), with its data directory and unix socket in
# a fresh temporary directory and no TCP listener. Prints ROSTER_TEST_PG_URL (a
# postgresql:// URL over that socket) and ROSTER_TEST_PG_DIR.
set -euo pipefail

if [[ "${1:-}" == "stop" ]]; then
    dir="${2:?usage: postgres.sh stop DIR}"
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    if [[ "$(id -u)" == "0" ]]; then
        runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null
    else
        "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null
    fi
    rm -rf "$dir"
    exit 0
fi

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
    echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2
    exit 1
fi
as_postgres=()
if [[ "$(id -u)" == "0" ]]; then
    as_postgres=(runuser -u postgres --)
fi
dir="$(mktemp -d "${TMPDIR:-/tmp}/roster-pg.XXXXXX")"
chmod 755 "$dir"
[[ "$(id -u)" == "0" ]] && chown postgres:postgres "$dir"
"${as_postgres[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-k $dir -c listen_addresses='' -c max_connections=200 -c fsync=off" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
"${as_postgres[@]}" "$bin/createdb" -h "$dir" -U postgres roster_test
echo "export ROSTER_TEST_PG_DIR='$dir'"
echo "export ROSTER_TEST_PG_URL='postgresql://postgres@/roster_test?host=$dir'"
