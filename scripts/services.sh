#!/usr/bin/env bash
# Installs (from Debian) and starts the PostgreSQL and Redis the test suite and CI use,
# on 127.0.0.1:5432 and 127.0.0.1:6379. Idempotent: what already answers is left alone.
# This machine kind starts no services, so CI on a new machine depends on this script.
set -euo pipefail

log() { printf '== services: %s\n' "$*"; }

need=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  # policy-rc.d keeps the packages' own init scripts from starting daemons we manage here.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
  log "creating PostgreSQL $pg_version cluster"
  pg_createcluster "$pg_version" main --port 5432 >/dev/null
fi
cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
hba=$(pg_lsclusters -h | awk 'NR==1 {print "/etc/postgresql/"$1"/"$2"/pg_hba.conf"}')
# The tests connect as postgres over 127.0.0.1 without a password: trust loopback only.
if ! grep -q '^# mlops-portal: trust loopback' "$hba"; then
  log "trusting loopback connections in $hba"
  tmp=$(mktemp)
  {
    echo '# mlops-portal: trust loopback (tests and CI on a single-user machine)'
    echo 'host    all             all             127.0.0.1/32            trust'
    echo 'host    all             all             ::1/128                 trust'
    cat "$hba"
  } >"$tmp"
  install -o postgres -g postgres -m 640 "$tmp" "$hba"
  rm -f "$tmp"
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    # shellcheck disable=SC2086
    pg_ctlcluster --skip-systemctl-redirect $cluster reload
  fi
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  log "starting PostgreSQL $cluster"
  # shellcheck disable=SC2086
  pg_ctlcluster --skip-systemctl-redirect $cluster start
fi
for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
pg_isready -h 127.0.0.1 -p 5432 -q || { log "PostgreSQL does not answer"; exit 1; }
psql -h 127.0.0.1 -U postgres -Atc 'SELECT 1' >/dev/null

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/portal.log
fi
for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { log "Redis does not answer"; exit 1; }
log "PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 answer"
