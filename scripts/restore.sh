#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the PostgreSQL database named by DATABASE_URL:
#   scripts/restore.sh backups/tracker-20250101T000000Z.dump
# Existing tables are dropped and recreated in one transaction: on any error nothing changes.
# Then the data version starts a new epoch, so no page or ETag from before the restore is served.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -ne 1 ]; then
    echo "usage: scripts/restore.sh FILE   (restores into DATABASE_URL)" >&2
    exit 2
fi
file="$1"
if [ ! -f "$file" ]; then
    echo "restore: no such file: $file" >&2
    exit 2
fi
url="${DATABASE_URL:-}"
case "$url" in
    postgres://*|postgresql://*) ;;
    *) echo "restore: DATABASE_URL must name a PostgreSQL database" >&2; exit 2 ;;
esac

# The data version never moves backwards: the backup's counter is older than the one pages
# cached before the restore carry, so the next edit would reuse a number those pages (and their
# ETags) hold. Remember the current one, then start a new epoch above both.
before=$(psql -X -q -At -d "$url" -c "SELECT counter FROM cases_data_version WHERE id = 1" \
    2>/dev/null || true)
case "$before" in ''|*[!0-9]*) before=0 ;; esac

pg_restore --clean --if-exists --single-transaction --no-owner --exit-on-error \
    --dbname="$url" "$file"
psql -X -q -v ON_ERROR_STOP=1 -d "$url" <<SQL
DO \$\$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_name = 'cases_data_version' AND column_name = 'epoch') THEN
        UPDATE cases_data_version
           SET counter = GREATEST(counter, $before) + 1, changed_at = clock_timestamp(),
               epoch = md5(random()::text || clock_timestamp()::text)
         WHERE id = 1;
    END IF;
END
\$\$;
SQL
echo "restored $file"
