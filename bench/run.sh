#!/usr/bin/env bash
# `make bench`: measure the tracker on PostgreSQL with bulk synthetic data; prints `name: value`.
#
# Database `tracker_bench` on 127.0.0.1:5432 (user postgres): created afresh, migrated, courts
# loaded, `generate_bulk` (BENCH_RULINGS rulings, default 300000; BENCH_LAWSUITS lawsuits,
# default a third of that). BENCH_REUSE=1 keeps a database an earlier run built with the same
# counts (only migrating it). Then the site and a bare Django site (bench/bare_wsgi.py) are each
# served by gunicorn with the site's own gunicorn.conf.py (2 workers, WEB_CONCURRENCY=2) on a
# loopback port, and measured with the same wrk settings. Every figure is a ratio to a baseline
# measured in the same run, and each name says its baseline. Each export figure is the best of
# EXPORT_ROUNDS (default 3) rounds in which the floor, psql running the export's own COPY, the
# CSV and the JSON take turns, so a busy moment of the machine does not weigh on one alone.
#
#   The floors (what the site could reach at best on this machine):
#   table_copy[N]                  seconds psql takes to COPY the exported rows straight from the
#                                  rulings table: same rows, same order, the table's own
#                                  columns, no joins, FORMAT csv; under the session settings
#                                  the export's COPY runs with (exports.COPY_SETTINGS: its
#                                  work_mem, no JIT, two parallel workers), so the floor is
#                                  given what the export is
#   bare_floor                     requests/s of bench/bare_wsgi.py: one view answering "ok"
#                                  through SecurityMiddleware and CommonMiddleware only; served
#                                  all along on BENCH_PORT + 1 and measured again right before
#                                  each page figure, which is taken against that measurement
#
#   csv_export_vs_table_copy[N]    rows/s of /rulings/?format=csv over HTTP / rows/s of table_copy
#   json_export_vs_table_copy[N]   the same for format=json
#   csv_export_vs_export_copy[N]   rows/s over HTTP / rows/s of psql running the export's own
#                                  COPY statement (what the HTTP path adds to its query)
#   export_worker_memory[N]        growth of the gunicorn worker's peak RSS (VmHWM) during the CSV
#                                  and JSON exports
#   list_page_vs_bare_floor[...]   requests/s of /rulings/?court=ilnd / bare_floor: repeat views
#                                  (page cache), conditional repeat views (304), first views
#                                  (each request a new address: bench/first_views.lua)
#   list_page_vs_healthz[...]      the same / requests/s of /healthz (the site's whole middleware
#                                  stack and one query)
#   healthz_vs_bare_floor          what the whole stack and a query cost a trivial view
#   status_page_vs_floor[...]      requests/s of /, /policies/ and the busiest policy's page, each
#                                  request with an `as_of` no request asked before
#                                  (bench/new_dates.lua) / bare_floor; with the slowest response
#                                  and the non-2xx count (status_page_slowest[...])
#   layer[...]                     ms per view of /rulings/?court=ilnd with and without each
#                                  speed layer (bench/layers.py, in process)
#   queries_per_page[...]          queries per list page and export at 1 and 50 rows (a small
#                                  database, `tracker_bench_queries`, in-process test client)
# Everything is bounded in time and stays on loopback; gunicorn is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PG="postgres://postgres@127.0.0.1:5432"
DB=tracker_bench
RULINGS=${BENCH_RULINGS:-300000}
LAWSUITS=${BENCH_LAWSUITS:-$((RULINGS / 3))}
PORT=${BENCH_PORT:-18765}
BARE_PORT=$((PORT + 1))
BASE="http://127.0.0.1:$PORT"
BARE="http://127.0.0.1:$BARE_PORT"
export DJANGO_SECRET_KEY=bench-only-not-secret DJANGO_DEBUG=false DJANGO_HTTPS=false
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost,testserver
export DATABASE_URL="$PG/$DB"
# gunicorn.conf.py as in production, with two workers for two cores, no access log on the
# terminal, and time for a 300,000-row export on a busy machine.
export WEB_CONCURRENCY=2 GUNICORN_TIMEOUT=300
LOG=$(mktemp -d)
GUNICORN_PID=""
BARE_PID=""

stop() {  # pid
    if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
        kill "$1" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$1" 2>/dev/null || true
    fi
}
cleanup() {
    stop "$GUNICORN_PID"
    stop "$BARE_PID"
    rm -rf "$LOG"
}
trap cleanup EXIT INT TERM

note() { printf '# %s\n' "$*" >&2; }
psql_() { psql -X -q -h 127.0.0.1 -U postgres "$@"; }

note "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo);" \
    "$(psql_ -d postgres -Atc 'SHOW server_version' | cut -d' ' -f1) PostgreSQL; load:$(uptime | sed 's/.*load average://')"

built=""
if [ "${BENCH_REUSE:-0}" = 1 ]; then
    built=$(psql_ -d "$DB" -Atc "SELECT rulings FROM bench_built" 2>/dev/null || true)
fi
if [ "$built" = "$RULINGS/$LAWSUITS" ]; then
    note "reusing database $DB ($built rulings/lawsuits)"
    DJANGO_STATEMENT_TIMEOUT_MS=0 $PY manage.py migrate -v0
else
    note "fresh database $DB"
    psql_ -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
    DJANGO_STATEMENT_TIMEOUT_MS=0 $PY manage.py migrate -v0
    $PY manage.py loaddata fixtures/courts.json -v0
    note "generate_bulk --rulings $RULINGS --lawsuits $LAWSUITS"
    DJANGO_STATEMENT_TIMEOUT_MS=0 timeout 2400 $PY manage.py generate_bulk \
        --rulings "$RULINGS" --lawsuits "$LAWSUITS" --seed 1 -v0 >&2
    psql_ -d "$DB" -c "CREATE TABLE bench_built (rulings text)" \
        -c "INSERT INTO bench_built VALUES ('$RULINGS/$LAWSUITS')"
fi

serve() {  # serve WSGI_APP PORT PATH: gunicorn -c gunicorn.conf.py, waiting until it answers
    local base="http://127.0.0.1:$2" pid
    if curl -s -o /dev/null "$base/"; then
        echo "port $2 is already in use: set BENCH_PORT" >&2
        exit 1
    fi
    GUNICORN_BIND="127.0.0.1:$2" .venv/bin/gunicorn -c gunicorn.conf.py \
        --access-logfile /dev/null --error-logfile "$LOG/gunicorn-$2.log" "$1" &
    pid=$!
    for _ in $(seq 1 150); do
        curl -fs -o /dev/null "$base$3" && { SERVED_PID=$pid; return 0; }
        kill -0 "$pid" || { cat "$LOG/gunicorn-$2.log" >&2; exit 1; }
        sleep 0.2
    done
    echo "gunicorn did not answer $3" >&2
    exit 1
}

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 2; }
# Two connections for two sync workers (no queueing), 5 s each, generous per-request timeout.
rate() {
    local out
    out=$(timeout 60 wrk -t2 -c2 -d5s --timeout 30s "$@")
    echo "$out" | grep -E "requests in|Non-2xx|timeout" | sed 's/^/# wrk: /' >&2
    echo "$out" | awk '/Requests\/sec/ {print $2}'
}
ratio() {  # name rate baseline_rate what baseline_name
    if [ -n "$2" ] && [ -n "$3" ] && [ "$(echo "$3 > 0" | bc)" = 1 ]; then
        printf '%s: %.4f (%s %.0f req/s, %s %.0f req/s)\n' \
            "$1" "$(echo "$2 / $3" | bc -l)" "$4" "$2" "$5" "$3"
    else
        note "wrk gave no rate for $1 ('$2', baseline '$3')"
    fi
}

PARTS=${BENCH_PARTS:-"floor exports pages statuses layers queries"}
PAGE="/rulings/?court=ilnd"

# Both sites are served for the whole run, each by its own gunicorn; only the one measured works.
note "bare floor: bench/bare_wsgi.py; the site: tracker.wsgi; gunicorn -c gunicorn.conf.py," \
    "2 workers each, ports $BARE_PORT and $PORT"
serve bench.bare_wsgi:application "$BARE_PORT" /ok
BARE_PID=$SERVED_PID
serve tracker.wsgi:application "$PORT" "$PAGE"
GUNICORN_PID=$SERVED_PID
# Warm both workers (connections, caches, and the court's monthly tallies that first views under
# date bounds read: built once per worker and data version, 0.1-0.6 s; see the README).
for n in 1 2 3 4 5 6; do
    curl -fs -o /dev/null "$BASE$PAGE"
    curl -fs -o /dev/null "$BASE$PAGE&decided_after=0999-01-0$n"
done
bare_rates=()
bare_now() {  # the floor, measured right before the figure it is the baseline of
    bare=$(rate "$BARE/ok")
    bare_rates+=("$bare")
}

hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
workers() { pgrep -P "$GUNICORN_PID"; }
export_seconds() {  # url file -> "seconds over HTTP" "growth (KB) of the workers' peak RSS"
    local seconds growth=0 delta
    declare -A before=()
    for w in $(workers); do before[$w]=$(hwm_kb "$w"); done
    seconds=$(curl -fs -o "$2" -w '%{time_total}' --max-time 600 "$1")
    for w in $(workers); do
        delta=$(( $(hwm_kb "$w") - ${before[$w]:-0} ))
        [ "$delta" -gt "$growth" ] && growth=$delta
    done
    echo "$seconds $growth"
}
least() {  # a b -> the smaller, or b when a is empty
    if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi
}
psql_seconds() {  # sql_file -> seconds psql takes to run it, output to /dev/null
    local start
    start=$(date +%s.%N)
    timeout 600 psql -X -q -h 127.0.0.1 -U postgres -d "$DB" -f "$1" > /dev/null
    echo "$(date +%s.%N) - $start" | bc -l
}

if [[ " $PARTS " == *" exports "* ]]; then
    # Warm the workers' export path (first COPY of a worker, psql's first connection).
    read -r query _ < <($PY bench/helpers.py export-url 1000)
    for fmt in csv json csv json; do curl -fs -o /dev/null "$BASE/rulings/?$query&format=$fmt"; done
    for target in 10000 100000 300000; do
        read -r query rows < <($PY bench/helpers.py export-url "$target")
        if [ "$rows" -lt "$target" ]; then
            note "only $rows rulings: the [$target] figures are measured on $rows rows"
        fi
        [ "$query" = "-" ] && url="$BASE/rulings/?" || url="$BASE/rulings/?$query&"
        # The floor: the same rows straight from the table, then the export's own statement.
        $PY bench/helpers.py table-copy-sql "$query" > "$LOG/table.sql"
        $PY bench/helpers.py copy-sql "$query" > "$LOG/copy.sql"
        psql_seconds "$LOG/table.sql" > /dev/null  # the table's pages into the cache, as below
        # Each figure the best of EXPORT_ROUNDS rounds, the floor and the exports taking turns.
        table="" own="" csv="" json="" csv_growth=0 json_growth=0
        for _ in $(seq 1 "${EXPORT_ROUNDS:-3}"); do
            table=$(least "$table" "$(psql_seconds "$LOG/table.sql")")
            own=$(least "$own" "$(psql_seconds "$LOG/copy.sql")")
            read -r seconds growth < <(export_seconds "${url}format=csv" "$LOG/export.csv")
            csv=$(least "$csv" "$seconds")
            csv_growth=$((growth > csv_growth ? growth : csv_growth))
            read -r seconds growth < <(export_seconds "${url}format=json" "$LOG/export.json")
            json=$(least "$json" "$seconds")
            json_growth=$((growth > json_growth ? growth : json_growth))
        done
        got=$(($(wc -l < "$LOG/export.csv") - 1))
        json_rows=$($PY -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$LOG/export.json")
        [ "$got" = "$rows" ] && [ "$json_rows" = "$rows" ] \
            || note "expected $rows rows, CSV had $got and JSON $json_rows"
        printf 'table_copy[%s]: %.2f s (%d rows, psql COPY from cases_ruling alone)\n' \
            "$target" "$table" "$rows"
        printf 'csv_export_vs_table_copy[%s]: %.2f (HTTP %.2f s, table_copy %.2f s)\n' \
            "$target" "$(echo "$table / $csv" | bc -l)" "$csv" "$table"
        printf 'json_export_vs_table_copy[%s]: %.2f (HTTP %.2f s, table_copy %.2f s)\n' \
            "$target" "$(echo "$table / $json" | bc -l)" "$json" "$table"
        printf 'csv_export_vs_export_copy[%s]: %.2f (HTTP %.2f s, psql running its COPY %.2f s)\n' \
            "$target" "$(echo "$own / $csv" | bc -l)" "$csv" "$own"
        printf 'export_worker_memory[%s]: +%d MB peak RSS for CSV, +%d MB for JSON (VmHWM)\n' \
            "$target" $((csv_growth / 1024)) $((json_growth / 1024))
    done
fi

if [[ " $PARTS " == *" floor "* || " $PARTS " == *" pages "* ]]; then
    bare_now
    healthz=$(rate "$BASE/healthz")
    ratio "healthz_vs_bare_floor" "$healthz" "$bare" "/healthz" "bare_floor"
fi
if [[ " $PARTS " == *" pages "* ]]; then
    # Repeat views: the page cache answers (the page was rendered once above).
    bare_now
    page=$(rate "$BASE$PAGE")
    ratio "list_page_vs_bare_floor[repeat view]" "$page" "$bare" "$PAGE" "bare_floor"
    ratio "list_page_vs_healthz[repeat view]" "$page" "$healthz" "$PAGE" "/healthz"
    # Repeat views by a client that sends back the ETag it was given: 304, no body.
    etag=$(curl -fsI "$BASE$PAGE" | awk -F': ' 'tolower($1) == "etag" {print $2}' | tr -d '\r')
    bare_now
    page=$(rate -H "If-None-Match: $etag" "$BASE$PAGE")
    ratio "list_page_vs_bare_floor[conditional repeat view, 304]" "$page" "$bare" "$PAGE" "bare_floor"
    ratio "list_page_vs_healthz[conditional repeat view, 304]" "$page" "$healthz" "$PAGE" "/healthz"
    # First views: every request an address no one asked before (bench/first_views.lua varies
    # a lower date bound that excludes nothing), so the page cache never answers; the server
    # runs as in production, form choices cached until the data next changes.
    bare_now
    out=$(FIRST_VIEW_PATH="$PAGE" timeout 60 wrk -t2 -c2 -d5s --timeout 30s \
        -s bench/first_views.lua "$BASE")
    echo "$out" | grep -E "requests in|Non-2xx|timeout" | sed 's/^/# wrk: /' >&2
    page=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    ratio "list_page_vs_bare_floor[first view]" "$page" "$bare" "$PAGE" "bare_floor"
    ratio "list_page_vs_healthz[first view]" "$page" "$healthz" "$PAGE" "/healthz"
fi
if [[ " $PARTS " == *" statuses "* ]]; then
    # Stored statuses: the dashboard, the policies list and one policy's page (the synthetic
    # policy with the most rulings), each request on a day no request asked before.
    policy=$(psql_ -d "$DB" -Atc "SELECT p.slug FROM cases_policy p JOIN cases_rulingeffect e
        ON e.policy_id = p.id WHERE p.publication_state = 'published'
        GROUP BY p.slug ORDER BY count(*) DESC, p.slug LIMIT 1")
    for target in "/" "/policies/" "/policies/$policy/"; do
        bare_now
        out=$(STATUS_PATH="$target" timeout 60 wrk -t2 -c2 -d5s --timeout 30s --latency \
            -s bench/new_dates.lua "$BASE")
        echo "$out" | grep -E "requests in|Non-2xx|timeout|Latency " | sed 's/^/# wrk: /' >&2
        page=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
        name="status_page_vs_floor[$target, new as_of each request]"
        ratio "$name" "$page" "$bare" "$target?as_of=..." "bare_floor"
        bad=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
        worst=$(echo "$out" | awk '$1 == "Latency" {print $4}')
        printf 'status_page_slowest[%s]: %s (non-2xx responses: %s; target: all 2xx, none over 1 s)\n' \
            "$target" "$worst" "${bad:-0}"
    done
fi
if [ "${#bare_rates[@]}" -gt 0 ]; then
    printf 'bare_floor: %s req/s (bench/bare_wsgi.py: SecurityMiddleware, CommonMiddleware, "ok";' \
        "$(printf '%s\n' "${bare_rates[@]}" | awk '{s += $1} END {printf "%.0f", s / NR}')"
    printf ' measured before each figure: %s)\n' "$(printf '%.0f ' "${bare_rates[@]}")"
fi
stop "$GUNICORN_PID"
stop "$BARE_PID"
GUNICORN_PID="" BARE_PID=""

if [[ " $PARTS " == *" layers "* ]]; then
    note "speed layers, each switched off in turn (bench/layers.py, in process)"
    timeout 900 $PY bench/layers.py
fi

if [[ " $PARTS " == *" queries "* ]]; then
    note "queries per page on tracker_bench_queries"
    psql_ -d postgres -c "DROP DATABASE IF EXISTS tracker_bench_queries" \
        -c "CREATE DATABASE tracker_bench_queries" >/dev/null
    DATABASE_URL="$PG/tracker_bench_queries" $PY manage.py migrate -v0
    DATABASE_URL="$PG/tracker_bench_queries" $PY bench/helpers.py queries
    psql_ -d postgres -c "DROP DATABASE IF EXISTS tracker_bench_queries" >/dev/null
fi
note "load at the end:$(uptime | sed 's/.*load average://')"
