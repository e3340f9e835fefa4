#!/usr/bin/env bash
# `make load`: the site under load, as production runs it, on loopback.
#
# A fresh PostgreSQL database `tracker_load` gets the seed data plus a bulk synthetic set at
# least ten times the seed in every case table (LOAD_RULINGS rulings, default 20000; LOAD_LAWSUITS
# lawsuits, default 20000), then gunicorn starts with gunicorn.conf.py (workers by core count)
# and wrk drives a mix of list, filtered list, detail, export and feed requests (bench/load.lua),
# first at 32 connections, then at 4x that, LOAD_SECONDS each (default 15).
#
# Prints one `name: value` line per figure: requests/s, p50 and p99 latency, non-2xx/3xx
# responses and socket errors at each concurrency. Exits non-zero if any request failed or any
# socket error occurred: requests may queue, never fail.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PG="postgres://postgres@127.0.0.1:5432"
DB=tracker_load
RULINGS=${LOAD_RULINGS:-20000}
LAWSUITS=${LOAD_LAWSUITS:-20000}
SECONDS_EACH=${LOAD_SECONDS:-15}
PORT=${LOAD_PORT:-18766}
BASE="http://127.0.0.1:$PORT"
export DJANGO_SECRET_KEY=load-only-not-secret DJANGO_DEBUG=false DJANGO_HTTPS=false
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DATABASE_URL="$PG/$DB"
WORK=$(mktemp -d)
GUNICORN_PID=""

cleanup() {
    if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill "$GUNICORN_PID" 2>/dev/null || true
        for _ in $(seq 1 350); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$GUNICORN_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

note() { printf '# %s\n' "$*" >&2; }
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 2; }

note "fresh database $DB: seed data, then $RULINGS synthetic rulings and $LAWSUITS lawsuits"
psql -X -q -h 127.0.0.1 -U postgres -d postgres \
    -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
DJANGO_STATEMENT_TIMEOUT_MS=0 $PY manage.py migrate -v0
$PY manage.py load_seed -v0
# Ten times the seed in every case table: 9 policies, 2 programs, 8 grounds, 40 jurisdictions
# (the generator makes one per 50 lawsuits), 9 lawsuits, 39 rulings in the seed.
DJANGO_STATEMENT_TIMEOUT_MS=0 timeout 900 $PY manage.py generate_bulk --force -v0 \
    --rulings "$RULINGS" --lawsuits "$LAWSUITS" --policies 100 --programs 20 --grounds 80 \
    --seed 1 >&2
$PY bench/helpers.py load-paths > "$WORK/paths.txt"
note "$(wc -l < "$WORK/paths.txt") distinct URLs in the mix"
$PY manage.py collectstatic --noinput -v0

note "gunicorn -c gunicorn.conf.py on port $PORT"
if curl -s -o /dev/null "$BASE/healthz"; then
    echo "port $PORT is already in use: set LOAD_PORT" >&2
    exit 1
fi
.venv/bin/gunicorn -c gunicorn.conf.py --bind "127.0.0.1:$PORT" \
    --access-logfile /dev/null --error-logfile "$WORK/gunicorn.log" &
GUNICORN_PID=$!
for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$BASE/healthz" && break
    kill -0 "$GUNICORN_PID" || { cat "$WORK/gunicorn.log" >&2; exit 1; }
    sleep 0.2
done

failed=0
for connections in 32 128; do
    out=$(LOAD_PATHS="$WORK/paths.txt" timeout $((SECONDS_EACH + 90)) \
        wrk -t2 -c"$connections" -d"${SECONDS_EACH}s" --timeout 30s --latency \
        -s bench/load.lua "$BASE")
    echo "$out" | sed 's/^/# wrk: /' >&2
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    bad=$(echo "$out" | awk '/Non-2xx or 3xx/ {print $NF}')
    errors=$(echo "$out" | awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}')
    printf 'load_requests_per_second[c=%s]: %s\n' "$connections" "$rps"
    printf 'load_latency_p50[c=%s]: %s\n' "$connections" "$p50"
    printf 'load_latency_p99[c=%s]: %s\n' "$connections" "$p99"
    printf 'load_non_2xx_3xx[c=%s]: %s\n' "$connections" "${bad:-0}"
    printf 'load_socket_errors[c=%s]: %s\n' "$connections" "${errors:-0}"
    if [ "${bad:-0}" != 0 ] || [ "${errors:-0}" != 0 ]; then failed=1; fi
done
if grep -q "Traceback\|WORKER TIMEOUT" "$WORK/gunicorn.log"; then
    note "gunicorn logged errors:"; grep -A3 "Traceback\|WORKER TIMEOUT" "$WORK/gunicorn.log" >&2
    failed=1
fi
nproc_=$(nproc)
note "machine: $nproc_ cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
exit "$failed"
