#!/usr/bin/env bash
# Makes a Docker engine available and builds the local runtime image, so the
# chaos suite can run on a machine without a registry (see deploy/README.md).
#
# Idempotent: when `docker info` already answers, nothing is installed or
# started; the runtime image build is cached and skips work already done.
# Needs root only when it has to install packages or start dockerd.
#
# Environment:
#   TALLY_DOCKER_WAIT_SECONDS  cap on the wait for a started dockerd (default 60)
#   TALLY_SKIP_RUNTIME_IMAGE=1 only make the engine available
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
wait_cap="${TALLY_DOCKER_WAIT_SECONDS:-60}"
dockerd_log=/var/log/dockerd.log

log() { echo "prepare-docker: $*"; }

engine_answers() { docker info >/dev/null 2>&1; }

install_missing_packages() {
  local missing=()
  # `docker` alone may be a bare client; the engine is dockerd.
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  if ((${#missing[@]} == 0)); then
    log "docker.io, iptables and debootstrap already installed"
    return
  fi
  if [[ $(id -u) -ne 0 ]]; then
    log "ERROR: must run as root to install: ${missing[*]}"
    exit 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_dockerd() {
  # A second dockerd on the same host fights the first over docker0 and the
  # iptables chains (one started with --bridge=none deleted docker0): only
  # ever start one.
  if pgrep -x dockerd >/dev/null 2>&1; then
    log "dockerd is already running (pid $(pgrep -x dockerd | head -1)); waiting for it to answer"
    return
  fi
  if [[ $(id -u) -ne 0 ]]; then
    log "ERROR: no Docker engine answers and starting dockerd needs root"
    exit 1
  fi
  log "starting dockerd (log: $dockerd_log)"
  nohup dockerd >"$dockerd_log" 2>&1 &
  disown || true
}

wait_for_engine() {
  local started=$SECONDS
  local deadline=$((SECONDS + wait_cap))
  until engine_answers; do
    if ((SECONDS >= deadline)); then
      log "ERROR: docker info did not answer within ${wait_cap}s; last lines of $dockerd_log:"
      tail -n 40 "$dockerd_log" 2>/dev/null || true
      exit 1
    fi
    sleep 1
  done
  log "Docker engine answers after $((SECONDS - started))s ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
}

if engine_answers; then
  log "Docker engine already answers"
else
  install_missing_packages
  start_dockerd
  wait_for_engine
fi

if [[ "${TALLY_SKIP_RUNTIME_IMAGE:-0}" != 1 ]]; then
  "$here/../docker/build-runtime-image.sh"
fi
