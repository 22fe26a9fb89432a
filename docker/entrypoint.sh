#!/bin/sh
# Migrate once (web only: MIGRATE=1), then run the given command.
set -e
if [ "${MIGRATE:-0}" = "1" ]; then
  python manage.py migrate --noinput
  python manage.py documents_store_init  # the S3 bucket of papers, when missing
fi
exec "$@"
