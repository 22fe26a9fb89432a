#!/usr/bin/env bash
# A PostgreSQL streaming replica of the local cluster on loopback, for the read-replica router
# (onecua/replica.py) and its test (tests/test_replica.py). Idempotent:
#
#   scripts/replica.sh start    # base backup once, then start it (nothing to do when it runs)
#   scripts/replica.sh stop
#   scripts/replica.sh status
#   scripts/replica.sh url      # prints the DATABASE_REPLICA_URL for a database name ($2)
#
# The primary is the cluster on 127.0.0.1:5432 (role postgres, trust on loopback, as on CI).
# It needs wal_level=replica (the default) and a pg_hba.conf line letting postgres replicate
# from 127.0.0.1, which `start` adds and reloads. The replica's data directory is a
# `pg_basebackup -R -X stream` copy; its server runs as the postgres OS user on REPLICA_PORT
# (5433) with the primary's connection limits (a hot standby refuses to start with lower ones).
set -euo pipefail

PORT=${REPLICA_PORT:-5433}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
DIR=${REPLICA_DIR:-/var/lib/postgresql/onecua-replica-$PORT}
VERSION=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
BIN=/usr/lib/postgresql/${VERSION}/bin
PSQL=(psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -tAqX)

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

log() { echo "[replica] $*"; }

running() { pg_isready -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; }

start() {
  if running; then
    log "already running on 127.0.0.1:$PORT"
    return 0
  fi
  local hba
  hba=$("${PSQL[@]}" -c "SHOW hba_file")
  if ! grep -qE '^[[:space:]]*host[[:space:]]+replication[[:space:]]+postgres[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
    log "allowing replication from 127.0.0.1 in $hba"
    echo "host replication postgres 127.0.0.1/32 trust" >> "$hba"
    "${PSQL[@]}" -c "SELECT pg_reload_conf()" >/dev/null
  fi
  if [ ! -f "$DIR/standby.signal" ]; then
    log "base backup of 127.0.0.1:$PRIMARY_PORT into $DIR"
    rm -rf "$DIR"
    mkdir -p "$DIR"
    chown postgres:postgres "$DIR"
    chmod 700 "$DIR"
    as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DIR" -R -X stream -c fast
    {
      echo "port = $PORT"
      echo "listen_addresses = '127.0.0.1'"
      echo "unix_socket_directories = '/tmp'"
      echo "hot_standby = on"
      echo "hot_standby_feedback = on"
      for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
                     max_locks_per_transaction; do
        echo "$setting = $("${PSQL[@]}" -c "SHOW $setting")"
      done
      echo "shared_buffers = 128MB"
      echo "logging_collector = off"
    } > "$DIR/postgresql.conf"
    printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 trust" > "$DIR/pg_hba.conf"
    : > "$DIR/pg_ident.conf"
    chown postgres:postgres "$DIR/postgresql.conf" "$DIR/pg_hba.conf" "$DIR/pg_ident.conf"
  fi
  log "starting on 127.0.0.1:$PORT"
  as_postgres "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 120 start >/dev/null
  for _ in $(seq 1 60); do running && break; sleep 1; done
  running || { log "did not start; see $DIR/server.log"; tail -20 "$DIR/server.log" >&2; return 1; }
  log "streaming: $(psql -h 127.0.0.1 -p "$PORT" -U postgres -tAqX -c 'SELECT pg_is_in_recovery()')"
}

stop() {
  if [ -f "$DIR/postmaster.pid" ]; then
    as_postgres "$BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null && log "stopped"
  else
    log "not running"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) if running; then log "running on 127.0.0.1:$PORT"; else log "not running"; exit 3; fi ;;
  url) echo "postgres://postgres@127.0.0.1:${PORT}/${2:-onecua}" ;;
  *) echo "usage: $0 start|stop|status|url [database]" >&2; exit 2 ;;
esac
