# Helpers sourced by the build scripts in this folder (not executable on its own).

# docker_build TAG ARGS...: runs `docker build` quietly, prints its output only
# when it fails. The legacy builder's deprecation notice is dropped: buildx is
# not installed on the CI machines and DOCKER_BUILDKIT=1 would fail there.
docker_build() {
  local tag="$1"; shift
  local out
  out="$(mktemp)"
  if ! docker build -t "$tag" "$@" >"$out" 2>&1; then
    grep -v -e 'DEPRECATED: The legacy builder' -e 'Install the buildx' -e 'docs.docker.com/go/buildx' \
         -e 'BuildKit is currently disabled' -e 'environment-variable\.$' "$out" >&2 || true
    rm -f "$out"
    echo "docker build of $tag failed" >&2
    return 1
  fi
  rm -f "$out"
}

# image_summary TAG: short id and size, for the closing log line.
image_summary() {
  docker image inspect -f '{{.Id}} {{.Size}}' "$1" | awk '{printf "%s, %d MB", substr($1,8,12), $2/1000000}'
}
