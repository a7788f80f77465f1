#!/usr/bin/env bash
# Builds the local images the chaos suite runs on, with no registry:
#   tally-base:bookworm  Debian bookworm minbase made with debootstrap and
#                        `docker import`ed. Built once: skipped when the image
#                        exists, because a re-import makes a new image id and
#                        throws away every cached layer built on it.
#   tally-runtime:17     the base + openjdk-17-jre-headless, iptables, iproute2,
#                        procps (runtime.Dockerfile). Docker's layer cache
#                        makes a rebuild a no-op.
# Independent of the node jar, so CI can build it before Maven runs.
# Needs a Docker engine (deploy/ci/prepare-docker.sh) and, for the base,
# root and debootstrap.
#
# Options: --rebuild-base  re-create tally-base:bookworm even if it exists
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=build-lib.sh
. "$here/build-lib.sh"
base_image=tally-base:bookworm
runtime_image=tally-runtime:17
rebuild_base=0

for arg in "$@"; do
  case "$arg" in
    --rebuild-base) rebuild_base=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "build-runtime-image: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

log() { echo "build-runtime-image: $*"; }

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

build_base() {
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "ERROR: debootstrap is missing (apt-get install debootstrap, or run deploy/ci/prepare-docker.sh)"
    exit 1
  fi
  if [[ $(id -u) -ne 0 ]]; then
    log "ERROR: debootstrap needs root to build $base_image"
    exit 1
  fi
  local rootfs
  rootfs="$(mktemp -d /var/tmp/tally-rootfs.XXXXXX)"
  # The rootfs holds device nodes and root-owned files: remove it whatever happens.
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap --variant=minbase bookworm (takes ~30 s)"
  debootstrap --variant=minbase bookworm "$rootfs" >"$rootfs.log" 2>&1 || {
    log "ERROR: debootstrap failed; last lines:"; tail -n 30 "$rootfs.log"; rm -f "$rootfs.log"; exit 1; }
  rm -f "$rootfs.log"
  # Trim what a container never reads. Keep /usr/share/man/man1: the
  # openjdk-17 postinst creates links in it and fails when it is missing.
  rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
         "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  find "$rootfs"/usr/share/man -mindepth 1 -maxdepth 1 ! -name man1 -exec rm -rf {} +
  find "$rootfs"/usr/share/man/man1 -mindepth 1 -delete
  log "importing $base_image"
  tar -C "$rootfs" -c . | docker import \
      --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' \
      --message "debootstrap --variant=minbase bookworm" - "$base_image" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
}

start=$SECONDS
if image_exists "$base_image" && [[ $rebuild_base != 1 ]]; then
  log "$base_image exists; not re-importing (that would defeat the build cache)"
else
  build_base
fi

log "building $runtime_image"
# No build context: runtime.Dockerfile copies nothing.
docker_build "$runtime_image" --build-arg BASE_IMAGE="$base_image" - <"$here/runtime.Dockerfile"
log "done in $((SECONDS - start))s: $runtime_image $(image_summary "$runtime_image")"
