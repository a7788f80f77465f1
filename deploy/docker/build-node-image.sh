#!/usr/bin/env bash
# Builds the node image tally-node:dev from node/target/tally.jar.
#
#   build-node-image.sh [--base local|upstream] [--jar PATH] [--tag NAME]
#
#   --base upstream  FROM eclipse-temurin:17-jre (needs Docker Hub; default)
#   --base local     FROM tally-runtime:17 (build-runtime-image.sh; no registry)
#   --jar PATH       the node jar (default: node/target/tally.jar)
#   --tag NAME       image name (default: tally-node:dev)
#
# Cached: the context holds only the jar, and Docker's layer cache makes a
# rebuild with an unchanged jar a no-op (~1 s).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=build-lib.sh
. "$here/build-lib.sh"

base=upstream
jar="$repo/node/target/tally.jar"
tag=tally-node:dev

while (($#)); do
  case "$1" in
    --base) base="${2:-}"; shift 2 ;;
    --base=*) base="${1#*=}"; shift ;;
    --jar) jar="${2:-}"; shift 2 ;;
    --jar=*) jar="${1#*=}"; shift ;;
    --tag) tag="${2:-}"; shift 2 ;;
    --tag=*) tag="${1#*=}"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "build-node-image: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

log() { echo "build-node-image: $*"; }

case "$base" in
  upstream) base_image=eclipse-temurin:17-jre ;;
  local)
    base_image=tally-runtime:17
    if ! docker image inspect "$base_image" >/dev/null 2>&1; then
      log "ERROR: $base_image is missing; build it first with deploy/docker/build-runtime-image.sh"
      exit 1
    fi ;;
  *) log "ERROR: --base must be local or upstream, not '$base'"; exit 2 ;;
esac

if [[ ! -f "$jar" ]]; then
  log "ERROR: $jar is missing. Build it first:  mvn -B -q -DskipTests -pl node -am package"
  exit 1
fi

start=$SECONDS
# Stage a context with only the jar (hard link when possible: no copy of ~50 MB).
context="$here/target/context"
rm -rf "$context"
mkdir -p "$context/node/target"
ln "$jar" "$context/node/target/tally.jar" 2>/dev/null || cp "$jar" "$context/node/target/tally.jar"
cp "$here/Dockerfile" "$context/Dockerfile"

log "building $tag FROM $base_image"
docker_build "$tag" --build-arg BASE_IMAGE="$base_image" \
  --label "dev.tally.jar.sha256=$(sha256sum "$jar" | cut -c1-64)" "$context"
rm -rf "$context"
log "done in $((SECONDS - start))s: $tag $(image_summary "$tag")"
