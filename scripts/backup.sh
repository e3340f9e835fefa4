#!/usr/bin/env bash
# Back up the PostgreSQL database named by DATABASE_URL to backups/tracker-<UTC time>.dump
# (pg_dump's custom format: compressed, restored with scripts/restore.sh). Prints the file name.
# BACKUP_DIR changes the folder. The dump is written under a temporary name and renamed when
# complete, so a file with the final name is never a partial backup.
set -euo pipefail
cd "$(dirname "$0")/.."

url="${DATABASE_URL:-}"
case "$url" in
    postgres://*|postgresql://*) ;;
    "") echo "backup: DATABASE_URL is not set (backups are for PostgreSQL)" >&2; exit 2 ;;
    *) echo "backup: DATABASE_URL is not a PostgreSQL URL; backups are for PostgreSQL only" >&2; exit 2 ;;
esac
# libpq understands postgresql:// and postgres:// alike.

# A backup holds every editor's password hash and the open sessions' keys: the folder is 0700 and
# each file 0600 (owner only), whatever the caller's umask.
umask 077
dir="${BACKUP_DIR:-backups}"
mkdir -p "$dir"
chmod 700 "$dir"
file="$dir/tracker-$(date -u +%Y%m%dT%H%M%SZ).dump"
if [ -e "$file" ]; then
    echo "backup: $file already exists" >&2
    exit 1
fi
partial="$file.partial"
trap 'rm -f "$partial"' EXIT
pg_dump --format=custom --no-owner --dbname="$url" --file="$partial"
chmod 600 "$partial"
mv "$partial" "$file"
trap - EXIT
echo "$file"
