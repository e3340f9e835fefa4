#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the PostgreSQL database named by DATABASE_URL:
#   scripts/restore.sh backups/tracker-20250101T000000Z.dump
# Existing tables are dropped and recreated in one transaction: on any error nothing changes.
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

pg_restore --clean --if-exists --single-transaction --no-owner --exit-on-error \
    --dbname="$url" "$file"
echo "restored $file"
