#!/usr/bin/env bash
# deploy/docker/build.sh: builds the citecheck images with podman or docker, whichever the
# machine has (CITECHECK_CONTAINER_ENGINE=podman|docker to choose):
#   localhost/citecheck:$TAG            citecheck-server + citecheck CLI (deploy/docker/Dockerfile)
#   localhost/citecheck-fake-llm:$TAG   the fake OpenAI-compatible server (local clusters, tests)
#   localhost/citecheck-mariadb:$TAG    MariaDB 10.11 from Debian (local clusters, tests)
# No registry needs to be reachable: when the base image (BASE_IMAGE, default localhost/debian:12)
# is missing, it is made from Debian's own packages with debootstrap (minbase, bookworm, from the
# mirror this machine's apt uses) and imported.
#
# Environment: TAG (default dev), BASE_IMAGE, DEBIAN_MIRROR (default: from /etc/apt sources).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DOCKER_DIR="$ROOT/deploy/docker"
LOG_TAG=build
# shellcheck source=deploy/docker/lib.sh
source "$DOCKER_DIR/lib.sh"
TAG="${TAG:-dev}"
BASE_IMAGE="${BASE_IMAGE:-localhost/debian:12}"
pick_engine

# The first deb URI of the apt sources (deb822 .sources or one-line .list).
debian_mirror() {
  local uri
  uri="$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}')"
  [[ -n "$uri" ]] || uri="$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    2>/dev/null | grep -v security | head -n1 | awk '{print $2}')"
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

make_base_image() {
  command -v debootstrap >/dev/null 2>&1 || die "$BASE_IMAGE is missing and debootstrap is not \
installed (apt-get install debootstrap)"
  local mirror rootfs started
  mirror="${DEBIAN_MIRROR:-$(debian_mirror)}"
  rootfs="$(mktemp -d /tmp/citecheck-rootfs-XXXXXX)"
  started=$(date +%s)
  say "making $BASE_IMAGE: debootstrap --variant=minbase bookworm from $mirror"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
    tail -n 20 "$rootfs.log" >&2
    rm -rf "$rootfs" "$rootfs.log"
    die "debootstrap failed"
  fi
  cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SOURCES
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | "$ENGINE" import --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
  say "$BASE_IMAGE imported in $(($(date +%s) - started)) s"
}

image_exists "$BASE_IMAGE" || make_base_image

# podman writes OCI images by default, which have no HEALTHCHECK: ask for docker's format.
FORMAT=()
[[ "$ENGINE" != podman ]] || FORMAT=(--format docker)

build() {  # build TARGET IMAGE
  local started=$(date +%s)
  say "building $2 (target $1)"
  "$ENGINE" build "${FORMAT[@]}" -f "$DOCKER_DIR/Dockerfile" --target "$1" --build-arg "BASE=$BASE_IMAGE" \
    -t "$2" "$ROOT" >"/tmp/citecheck-build-$1.log" 2>&1 || {
    tail -n 40 "/tmp/citecheck-build-$1.log" >&2
    die "building $2 failed (log: /tmp/citecheck-build-$1.log)"
  }
  say "$2 built in $(($(date +%s) - started)) s"
}
build runtime "localhost/citecheck:$TAG"
build fake-llm "localhost/citecheck-fake-llm:$TAG"
build mariadb "localhost/citecheck-mariadb:$TAG"
"$ENGINE" images --filter reference='localhost/citecheck*' >&2
