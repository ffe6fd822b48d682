#!/usr/bin/env bash
# make test-stack: start the production stack (docker-compose.yml) for real, drive it from outside like a user,
# break it on purpose while it sends, check that nothing was lost or sent twice, then tear it all down.
#
#   1. install Docker, Compose v2 and debootstrap from Debian where missing; start dockerd if no engine answers
#   2. build the images: a Debian bookworm base (debootstrap, kept between runs), local stand-ins for python:3.11-slim,
#      postgres:16 and redis:7, then the portal's own Dockerfile on top
#   3. docker compose up --wait: PostgreSQL, Redis, migrate, web, three workers, beat, the sandbox (--profile dev)
#      and the edge proxy, with production settings and generated secrets
#   4. ops/stack/drive.py: log in, import 5,000 clients, send a notice through the outage form, approve it; while it
#      sends, kill a worker, restart PostgreSQL, pause a worker past its lease, cut one off the network for 60 s;
#      then count every message at the sandbox and in the portal
#   5. docker compose down -v; stop the dockerd it started (by PID) and restore forwarding and firewall state
#
# Must run as root (it installs packages and starts dockerd). Root of the figures: docs/production.md.
# Environment: STACK_KEEP=1 leaves the stack running (and dockerd) for a look; STACK_REBUILD_BASE=1 rebuilds the
# Debian base image; STACK_CLIENTS (5000), STACK_DISCONNECT_SECONDS (60) change the scenario.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
# shellcheck source=ops/stack/engine.sh
. ops/stack/engine.sh

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts dockerd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"

PROJECT="${STACK_PROJECT:-outage-portal-stack}"
export PORTAL_IMAGE="outage-portal-ci/portal:stack"
export POSTGRES_IMAGE="outage-portal-ci/postgres:15"
export REDIS_IMAGE="outage-portal-ci/redis:7"
export STACK_PYTHON_IMAGE="outage-portal-ci/python:3.11"

# --down STATE_DIR [DOCKERD_PID]: tear down what a STACK_KEEP=1 run left running.
if [ "${1:-}" = --down ]; then
  STATE="${2:?--down STATE_DIR [DOCKERD_PID]}"
  export PORTAL_ENV_FILE="$STATE/stack.env" STACK_CA_CERTS_FILE="$STATE/ca-certs.pem" STACK_PIP_CONF_FILE="$STATE/pip.conf"
  docker compose -p "$PROJECT" -f docker-compose.yml -f ops/stack/compose.ci.yml --env-file "$STATE/stack.env" \
    --profile dev down -v --remove-orphans --timeout 10
  if [ -n "${3:-}" ]; then
    ENGINE_OURS=1 DOCKERD_PID="$3"
    engine_stop "$STATE"
  fi
  rm -rf "$STATE"
  exit 0
fi

STATE="$(mktemp -d /tmp/outage-portal-stack.XXXXXX)"
PHASES="$STATE/phases.tsv"
RESULTS="$STATE/results.json"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
STARTED_AT="$(now_ms)"
STACK_UP=0
FAILED=1
DRIVER_PID=""

phase_begin() { PHASE_NAME="$1"; PHASE_START="$(now_ms)"; log "$1"; }
phase_end() { printf '%s\t%s\n' "$PHASE_NAME" "$(( $(now_ms) - PHASE_START ))" >> "$PHASES"; }

compose() {
  docker compose -p "$PROJECT" -f docker-compose.yml -f ops/stack/compose.ci.yml \
    --env-file "$STATE/stack.env" --profile dev "$@"
}

finish() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  if [ -n "$DRIVER_PID" ] && kill -0 "$DRIVER_PID" 2>/dev/null; then
    kill -TERM "$DRIVER_PID" 2>/dev/null
    wait "$DRIVER_PID" 2>/dev/null
  fi
  # A paused or disconnected worker left by an interrupted fault would slow the teardown down.
  if [ "$STACK_UP" = 1 ]; then
    for container in $(compose ps -q worker 2>/dev/null); do
      docker unpause "$container" >/dev/null 2>&1
    done
  fi
  if [ "$status" != 0 ] && [ "$STACK_UP" = 1 ]; then
    compose logs --no-color --timestamps > "$STATE/compose.log" 2>&1
    log "the stack failed; every service's log is in $STATE/compose.log"
  fi
  if [ -n "${STACK_KEEP:-}" ] && [ "$STACK_UP" = 1 ]; then
    log "STACK_KEEP: the stack (project $PROJECT) and dockerd (pid ${DOCKERD_PID:-not ours}) are left running."
    log "Tear it all down (and restore the network) with: bash ops/stack/run.sh --down $STATE ${DOCKERD_PID:-}"
    exit "$status"
  fi
  if [ "$STACK_UP" = 1 ]; then
    phase_begin "teardown: docker compose down -v"
    compose down -v --remove-orphans --timeout 10 >/dev/null 2>&1 || log "compose down failed"
    docker image prune -f >/dev/null 2>&1  # replaced portal images; the base images stay for the next run
    phase_end
  fi
  phase_begin "engine stop and network restore"
  engine_stop "$STATE" || status=1
  phase_end
  if [ -s "$RESULTS" ]; then
    "$PY" ops/stack/drive.py report --results "$RESULTS" --phases "$PHASES" \
      --total-ms "$(( $(now_ms) - STARTED_AT ))" || status=1
  fi
  if [ "$status" = 0 ] && [ "$FAILED" = 0 ]; then
    rm -rf "$STATE"
  else
    log "FAILED (exit $status); logs and files kept in $STATE"
    [ "$status" = 0 ] && status=1
  fi
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. Engine ------------------------------------------------------------------------------------------------------
phase_begin "engine: install where missing and start"
engine_install
engine_start "$STATE"
phase_end

# 2. Images ------------------------------------------------------------------------------------------------------
phase_begin "images: Debian base, python/postgres/redis stand-ins, the portal's Dockerfile"
debian_base
ci_image "$STACK_PYTHON_IMAGE" ops/stack/images/python
ci_image "$POSTGRES_IMAGE" ops/stack/images/postgres
ci_image "$REDIS_IMAGE" ops/stack/images/redis
host_ca_certs "$STATE/ca-certs.pem"
host_pip_conf "$STATE/pip.conf" "$PY"
export STACK_CA_CERTS_FILE="$STATE/ca-certs.pem" STACK_PIP_CONF_FILE="$STATE/pip.conf"

# Production settings with fresh secrets. PORTAL_BASE_URL is the edge (the proxy's address inside the network), so
# the sandbox's delivery reports arrive as Infobip's would: through the proxy, over "https".
secret() { "$PY" -c "import secrets; print(secrets.token_hex($1))"; }
PG_PASSWORD="$(secret 16)"
cat > "$STATE/stack.env" <<EOF
PORTAL_PRODUCTION=1
SECRET_KEY=$(secret 32)
PORTAL_BASE_URL=http://edge:8080
ALLOWED_HOSTS=edge
TRUSTED_PROXY_COUNT=1
POSTGRES_PASSWORD=$PG_PASSWORD
DATABASE_URL=postgres://portal:$PG_PASSWORD@postgres:5432/outage_portal
CELERY_BROKER_URL=redis://redis:6379/0
REDIS_URL=redis://redis:6379/1
INFOBIP_BASE_URL=http://sandbox:8025
INFOBIP_API_KEY=$(secret 16)
INFOBIP_WEBHOOK_SECRET=$(secret 16)
METRICS_TOKEN=$(secret 16)
# The scenario: a short lease so a 30 s pause outlasts it; small batches and a shared rate so the send lasts long
# enough for every fault to land in the middle of it.
DISPATCH_LEASE_SECONDS=${STACK_LEASE_SECONDS:-20}
# The fence sends a batch only with a whole request left on its lease (2 x connect + read + margin = 6 s), after what
# a batch may wait once claimed (the request ahead of it, 5 s; the rate limit, a quarter lease): 16 s < 20 s, so
# `manage.py check` is silent. The production defaults (5 s, 30 s, 5 s) need the production lease (120 s): with 2 s,
# 8 s and 2 s, a trial run gave back every batch after the first faults (10 s left, 14 s needed), for ever.
INFOBIP_TIMEOUT_CONNECT=1
INFOBIP_TIMEOUT_READ=3
DISPATCH_REQUEST_MARGIN_SECONDS=1
DISPATCH_BATCH_SIZE=50
DISPATCH_SMS_RATE_PER_SECOND=${STACK_RATE:-40}
DISPATCH_EMAIL_RATE_PER_SECOND=${STACK_RATE:-40}
EOF
export PORTAL_ENV_FILE="$STATE/stack.env"
compose build --quiet web || die "building the portal image failed"
phase_end

# 3. Up ----------------------------------------------------------------------------------------------------------
phase_begin "up: docker compose up --wait (3 workers, sandbox, edge)"
STACK_UP=1
if ! compose up --detach --wait --wait-timeout 240 --scale worker=3 --no-build > "$STATE/up.log" 2>&1; then
  tail -n 30 "$STATE/up.log" >&2
  die "docker compose up --wait did not bring the stack up"
fi
phase_end

# 4. Drive -------------------------------------------------------------------------------------------------------
# In the background and waited for, so that a TERM or Ctrl-C reaches the trap at once (bash runs traps only between
# foreground commands) and the teardown stops the driver first.
STACK_COMPOSE="docker compose -p $PROJECT -f docker-compose.yml -f ops/stack/compose.ci.yml --env-file $STATE/stack.env --profile dev" \
  "$PY" ops/stack/drive.py run --results "$RESULTS" --phases "$PHASES" \
    --clients "${STACK_CLIENTS:-5000}" --lease "${STACK_LEASE_SECONDS:-20}" \
    --disconnect "${STACK_DISCONNECT_SECONDS:-60}" &
DRIVER_PID=$!
wait "$DRIVER_PID"
DRIVER_PID=""
FAILED=0
