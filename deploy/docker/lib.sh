# deploy/docker/lib.sh: sourced by build.sh and test.sh. Picks the container engine (podman or
# docker) and podman's settings for this kind of machine.

say() { printf '[%s] %s\n' "${LOG_TAG:-docker}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ENGINE: $CITECHECK_CONTAINER_ENGINE, else podman when installed, else a docker whose daemon
# answers.
pick_engine() {
  if [[ -n "${CITECHECK_CONTAINER_ENGINE:-}" ]]; then
    ENGINE="$CITECHECK_CONTAINER_ENGINE"
  elif command -v podman >/dev/null 2>&1; then
    ENGINE=podman
  elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    ENGINE=docker
  else
    die "no container engine: install podman (apt-get install podman buildah fuse-overlayfs \
slirp4netns uidmap runc) or docker"
  fi
  if [[ "$ENGINE" == podman && -z "${CONTAINERS_CONF:-}" ]] && command -v runc >/dev/null 2>&1
  then
    export CONTAINERS_CONF="$DOCKER_DIR/containers.conf"
  fi
  say "engine: $ENGINE $("$ENGINE" --version 2>/dev/null | head -n1)"
}

image_exists() { "$ENGINE" image inspect "$1" >/dev/null 2>&1; }
