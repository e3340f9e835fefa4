#!/usr/bin/env bash
# `make bench`: measure the tracker on PostgreSQL with bulk synthetic data; prints `name: value`.
#
# Fresh database `tracker_bench` on 127.0.0.1:5432 (user postgres), migrated, courts loaded,
# `generate_bulk` (BENCH_RULINGS rulings, default 300000; BENCH_LAWSUITS lawsuits, default a
# third of that), then gunicorn with 2 sync workers on a loopback port. Ratios, each against a
# baseline taken in the same run, are what carries over from one machine to another:
#   csv_export_vs_copy[N]   HTTP rows/s of /rulings/?format=csv (N rows) / rows/s of psql running
#                           the same COPY statement (same columns, same rows)
#   export_worker_memory[N] growth of the gunicorn worker's peak RSS (VmHWM) during that export
#   list_page_vs_floor[...] requests/s of /rulings/?court=ilnd / requests/s of /healthz (wrk, 5 s):
#                           repeat views (page cache), conditional repeat views (304), and
#                           first views (each request a new address: bench/first_views.lua)
#   queries_per_page[...]   queries per list page and export at 1 and 50 rows (a small database,
#                           `tracker_bench_queries`, in-process test client)
# Everything is bounded in time and stays on loopback; gunicorn is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PG="postgres://postgres@127.0.0.1:5432"
DB=tracker_bench
RULINGS=${BENCH_RULINGS:-300000}
LAWSUITS=${BENCH_LAWSUITS:-$((RULINGS / 3))}
PORT=${BENCH_PORT:-18765}
BASE="http://127.0.0.1:$PORT"
export DJANGO_SECRET_KEY=bench-only-not-secret DJANGO_DEBUG=false DJANGO_HTTPS=false
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost,testserver
export DATABASE_URL="$PG/$DB"
LOG=$(mktemp -d)
GUNICORN_PID=""

cleanup() {
    if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill "$GUNICORN_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$GUNICORN_PID" 2>/dev/null || true
    fi
    rm -rf "$LOG"
}
trap cleanup EXIT INT TERM

note() { printf '# %s\n' "$*" >&2; }
psql_() { psql -X -q -h 127.0.0.1 -U postgres "$@"; }

note "fresh database $DB"
psql_ -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
DJANGO_STATEMENT_TIMEOUT_MS=0 $PY manage.py migrate -v0
$PY manage.py loaddata fixtures/courts.json -v0
note "generate_bulk --rulings $RULINGS --lawsuits $LAWSUITS"
DJANGO_STATEMENT_TIMEOUT_MS=0 timeout 1200 $PY manage.py generate_bulk \
    --rulings "$RULINGS" --lawsuits "$LAWSUITS" --seed 1 -v0 >&2

note "gunicorn, 2 sync workers, port $PORT"
if curl -s -o /dev/null "$BASE/"; then
    echo "port $PORT is already in use: set BENCH_PORT" >&2
    exit 1
fi
.venv/bin/gunicorn tracker.wsgi -w 2 -b "127.0.0.1:$PORT" --timeout 300 \
    --access-logfile /dev/null --error-logfile "$LOG/gunicorn.log" &
GUNICORN_PID=$!
for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$BASE/rulings/?court=ilnd" && break
    kill -0 "$GUNICORN_PID" || { cat "$LOG/gunicorn.log" >&2; exit 1; }
    sleep 0.2
done
# Warm both workers (connections, caches).
for _ in 1 2 3 4 5 6; do curl -fs -o /dev/null "$BASE/rulings/?court=ilnd"; done

hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
workers() { pgrep -P "$GUNICORN_PID"; }

for target in 10000 100000 300000; do
    read -r query rows < <($PY bench/helpers.py export-url "$target")
    if [ "$rows" -lt "$target" ]; then
        note "only $rows rulings: csv_export_vs_copy[$target] measured on $rows rows"
    fi
    [ "$query" = "-" ] && url="$BASE/rulings/?format=csv" || url="$BASE/rulings/?$query&format=csv"
    # Baseline: psql runs the very COPY statement the export runs, output to /dev/null.
    $PY bench/helpers.py copy-sql "$query" > "$LOG/copy.sql"
    start=$(date +%s.%N)
    timeout 600 psql -X -q -h 127.0.0.1 -U postgres -d "$DB" -f "$LOG/copy.sql" > /dev/null
    psql_seconds=$(echo "$(date +%s.%N) - $start" | bc -l)
    declare -A before=()
    for w in $(workers); do before[$w]=$(hwm_kb "$w"); done
    http_seconds=$(curl -fs -o "$LOG/export.csv" -w '%{time_total}' --max-time 600 "$url")
    got=$(($(wc -l < "$LOG/export.csv") - 1))
    growth=0
    for w in $(workers); do
        delta=$(( $(hwm_kb "$w") - ${before[$w]:-0} ))
        [ "$delta" -gt "$growth" ] && growth=$delta
    done
    unset before
    ratio=$(echo "($got / $http_seconds) / ($rows / $psql_seconds)" | bc -l)
    printf 'csv_export_vs_copy[%s]: %.2f (%d rows: HTTP %.2f s, psql COPY %.2f s)\n' \
        "$target" "$ratio" "$got" "$http_seconds" "$psql_seconds"
    printf 'export_worker_memory[%s]: +%d MB peak RSS (VmHWM)\n' "$target" $((growth / 1024))
done

floor="/healthz"
PAGE="/rulings/?court=ilnd"
if command -v wrk >/dev/null; then
    # Two connections for two sync workers (no queueing), 5 s each, generous per-request timeout.
    rate() {
        local out
        out=$(timeout 60 wrk -t2 -c2 -d5s --timeout 30s "$@")
        echo "$out" | grep -E "requests in|Non-2xx|timeout" | sed 's/^/# wrk: /' >&2
        echo "$out" | awk '/Requests\/sec/ {print $2}'
    }
    ratio() {  # name page_rate floor_rate what
        if [ -n "$2" ] && [ -n "$3" ] && [ "$(echo "$3 > 0" | bc)" = 1 ]; then
            printf '%s: %.4f (%s %.2f req/s, %s %.0f req/s)\n' \
                "$1" "$(echo "$2 / $3" | bc -l)" "$4" "$2" "$floor" "$3"
        else
            note "wrk gave no rate for $1 (page: '$2', floor: '$3')"
        fi
    }
    # Repeat views: the page cache answers (the page was rendered once above).
    page=$(rate "$BASE$PAGE")
    trivial=$(rate "$BASE$floor")
    ratio "list_page_vs_floor[repeat view]" "$page" "$trivial" "$PAGE"
    # Repeat views by a client that sends back the ETag it was given: 304, no body.
    etag=$(curl -fsI "$BASE$PAGE" | awk -F': ' 'tolower($1) == "etag" {print $2}' | tr -d '\r')
    page=$(rate -H "If-None-Match: $etag" "$BASE$PAGE")
    ratio "list_page_vs_floor[conditional repeat view, 304]" "$page" "$trivial" "$PAGE"

    # First views: every request an address no one asked before (bench/first_views.lua varies
    # a lower date bound that excludes nothing), so the page cache never answers; the server
    # runs as in production, form choices and statuses cached until the data next changes.
    out=$(FIRST_VIEW_PATH="$PAGE" timeout 60 wrk -t2 -c2 -d5s --timeout 30s \
        -s bench/first_views.lua "$BASE")
    echo "$out" | grep -E "requests in|Non-2xx|timeout" | sed 's/^/# wrk: /' >&2
    page=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    trivial=$(rate "$BASE$floor")
    ratio "list_page_vs_floor[first view]" "$page" "$trivial" "$PAGE"
else
    note "wrk not installed (apt-get install -y wrk): list_page_vs_floor skipped"
fi

cleanup
GUNICORN_PID=""
trap - EXIT INT TERM

note "queries per page on tracker_bench_queries"
psql_ -d postgres -c "DROP DATABASE IF EXISTS tracker_bench_queries" \
    -c "CREATE DATABASE tracker_bench_queries" >/dev/null
DATABASE_URL="$PG/tracker_bench_queries" $PY manage.py migrate -v0
DATABASE_URL="$PG/tracker_bench_queries" $PY bench/helpers.py queries
psql_ -d postgres -c "DROP DATABASE IF EXISTS tracker_bench_queries" >/dev/null
