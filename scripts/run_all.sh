#!/usr/bin/env bash
# Start the web app with a real Celery worker and beat beside it; Ctrl-C stops all three.
# Uses whatever CELERY_BROKER_URL / DATABASE_URL say (default: filesystem broker + SQLite in var/).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}
CELERY=$(dirname "$PY")/celery
mkdir -p var/run var/log

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Đang dừng OneCua…"
  for f in var/run/worker.pid var/run/beat.pid; do
    [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f var/run/worker.pid var/run/beat.pid
}
trap stop INT TERM EXIT

"$CELERY" -A onecua worker --loglevel=INFO --concurrency=2 --pidfile=var/run/worker.pid \
  --logfile=var/log/worker.log &
pids+=($!)
"$CELERY" -A onecua beat --loglevel=INFO --pidfile=var/run/beat.pid --logfile=var/log/beat.log \
  --scheduler django_celery_beat.schedulers:DatabaseScheduler &
pids+=($!)

echo "OneCua: http://127.0.0.1:${PORT}/  (Celery worker và beat: var/log/worker.log, var/log/beat.log)"
"$PY" manage.py runserver "0.0.0.0:${PORT}" --noreload &
pids+=($!)
wait "${pids[-1]}"
