#!/usr/bin/env bash
# A real Keycloak for tests and for developers: the server distribution from Maven
# Central, run with `kc.sh start-dev --import-realm` and the same
# deploy/keycloak/realm-mlops.json that docker compose imports.
#
#   scripts/keycloak.sh fetch    download and unpack the pinned version (cached)
#   scripts/keycloak.sh start    start it, wait for /health/ready, stay in the foreground
#
# start prints `KEYCLOAK_URL=…`, `KEYCLOAK_MANAGEMENT_URL=…` and then `KEYCLOAK_READY`
# once the realm answers; the tests' fixture reads those lines. Ports are free ones
# unless KEYCLOAK_PORT / KEYCLOAK_MANAGEMENT_PORT are given. The bootstrap admin is
# admin/admin (loopback only; KC_BOOTSTRAP_ADMIN_* override it).
#
# Start time: importing the realm into a fresh database is most of a start, so the
# first start on a machine keeps a copy of the freshly imported database (keyed by
# the realm file's hash) and later starts begin from a copy of it. Each start gets
# its own database: what a test changes in the realm never reaches the next run.
set -euo pipefail

KEYCLOAK_VERSION=26.4.7 # docker-compose.yml's quay.io/keycloak/keycloak tag is the same
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REALM_FILE="$ROOT/deploy/keycloak/realm-mlops.json"
CACHE="${PORTAL_CACHE_DIR:-$HOME/.cache/mlops-portal}/keycloak/$KEYCLOAK_VERSION"
DIST="$CACHE/keycloak-$KEYCLOAK_VERSION"
export KC_BOOTSTRAP_ADMIN_USERNAME="${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}"
export KC_BOOTSTRAP_ADMIN_PASSWORD="${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}"

log() { printf '== keycloak: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

need_java() {
  command -v java >/dev/null 2>&1 || die "needs Java 17 or later (apt-get install openjdk-17-jre-headless)"
  local major
  major=$(java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print v[1]; exit}')
  [ "${major:-0}" -ge 17 ] || die "needs Java 17 or later, found $major"
}

fetch() {
  [ -x "$DIST/bin/kc.sh" ] && return 0
  command -v mvn >/dev/null 2>&1 || die "needs Maven (apt-get install maven) to fetch Keycloak"
  mkdir -p "$CACHE"
  local zip="$CACHE/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"
  if [ ! -s "$zip" ]; then
    log "fetching org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION from Maven Central"
    mvn -q dependency:copy \
      -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" \
      -DoutputDirectory="$CACHE"
  fi
  local tmp
  tmp=$(mktemp -d "$CACHE/unpack.XXXXXX")
  if command -v unzip >/dev/null 2>&1; then
    unzip -q "$zip" -d "$tmp"
  else
    python3 -m zipfile -e "$zip" "$tmp" # keeps no modes: the scripts get theirs below
    chmod +x "$tmp/keycloak-$KEYCLOAK_VERSION"/bin/*.sh
  fi
  mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$DIST"
  rm -rf "$tmp"
  log "unpacked into $DIST"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ready() {
  if command -v curl >/dev/null 2>&1; then
    curl -sf -o /dev/null "$1"
  else
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$1" 2>/dev/null
  fi
}

KC_PID=""
run=""
stop_keycloak() {
  if [ -n "$KC_PID" ] && kill -0 "$KC_PID" 2>/dev/null; then
    kill -TERM "$KC_PID" 2>/dev/null || true
    wait "$KC_PID" 2>/dev/null || true
  fi
  KC_PID=""
}

# run_keycloak DB_DIR HTTP_PORT MANAGEMENT_PORT LOG: start in the background, wait until ready.
run_keycloak() {
  local db_dir=$1 port=$2 management=$3 logfile=$4
  mkdir -p "$DIST/data/import"
  cp "$REALM_FILE" "$DIST/data/import/realm-mlops.json"
  # Each instance keeps its transaction log beside its database, not in the shared dist.
  JAVA_OPTS_APPEND="${JAVA_OPTS_APPEND:-} -Dquarkus.transaction-manager.object-store.directory=$db_dir/transaction-logs" \
    "$DIST/bin/kc.sh" start-dev --import-realm \
    --http-host=127.0.0.1 --http-port="$port" \
    --http-management-port="$management" --health-enabled=true \
    --db-url="jdbc:h2:file:$db_dir/keycloakdb;NON_KEYWORDS=VALUE" \
    >>"$logfile" 2>&1 &
  KC_PID=$!
  local deadline=$((SECONDS + ${KEYCLOAK_START_TIMEOUT:-600}))
  until ready "http://127.0.0.1:$management/health/ready"; do
    if ! kill -0 "$KC_PID" 2>/dev/null; then
      tail -n 40 "$logfile" >&2
      die "Keycloak exited before it was ready (log: $logfile)"
    fi
    [ $SECONDS -lt $deadline ] || { stop_keycloak; die "not ready in time (log: $logfile)"; }
    sleep 0.5
  done
}

start() {
  need_java
  fetch
  local realm_hash seed port management logfile began
  realm_hash=$(sha256sum "$REALM_FILE" | cut -c1-16)
  seed="$CACHE/seed-$realm_hash"
  run=$(mktemp -d "${TMPDIR:-/tmp}/keycloak-run.XXXXXX")
  logfile="$run/keycloak.log"
  trap 'stop_keycloak; rm -rf "$run"' EXIT
  trap 'exit 143' TERM INT
  began=$SECONDS
  if [ ! -s "$seed/keycloakdb.mv.db" ]; then
    log "first start of this realm file: importing it into a fresh database (slow, once)"
    rm -rf "$seed.tmp" && mkdir -p "$seed.tmp"
    run_keycloak "$seed.tmp" "$(free_port)" "$(free_port)" "$logfile"
    stop_keycloak
    rm -f "$seed.tmp"/*.trace.db
    rm -rf "$seed" && mv "$seed.tmp" "$seed"
  fi
  cp "$seed"/keycloakdb.mv.db "$run/"
  port=${KEYCLOAK_PORT:-$(free_port)}
  management=${KEYCLOAK_MANAGEMENT_PORT:-$(free_port)}
  run_keycloak "$run" "$port" "$management" "$logfile"
  echo "KEYCLOAK_URL=http://127.0.0.1:$port"
  echo "KEYCLOAK_MANAGEMENT_URL=http://127.0.0.1:$management"
  echo "KEYCLOAK_PID=$KC_PID"
  echo "KEYCLOAK_LOG=$logfile"
  echo "KEYCLOAK_READY in $((SECONDS - began)) s"
  log "realm mlops at http://127.0.0.1:$port/realms/mlops (admin console: /admin, $KC_BOOTSTRAP_ADMIN_USERNAME)"
  wait "$KC_PID"
}

case "${1:-start}" in
  fetch) fetch ;;
  start) start ;;
  version) echo "$KEYCLOAK_VERSION" ;;
  *) die "usage: $0 fetch|start|version" ;;
esac
