#!/usr/bin/env bash
# deploy/setup.sh: installs every build and test dependency of citecheck (Debian 12 packages and
# the interop test's npm packages), then configures and builds the tree.
#
# Idempotent and quick on a second run: apt-get is skipped when every package is installed,
# npm when node_modules matches package.json, and ninja rebuilds only what changed.
#
# Environment:
#   BUILD_DIR         build directory, relative to the repo root or absolute (default: build)
#   CMAKE_BUILD_TYPE  default RelWithDebInfo
#   SETUP_SKIP_BUILD  set to 1 to install dependencies only
#   SETUP_APT_ONLY    set to 1 to install the Debian packages only (no Node.js, npm or build;
#                     the container image's build stage uses it)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${BUILD_DIR:-build}"
BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}"

say() { printf '[setup] %s\n' "$*"; }
now() { date +%s; }
START=$(now)

# ---- Debian packages ------------------------------------------------------------------------
PACKAGES=(
  build-essential cmake pkg-config ninja-build
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libcurl4-openssl-dev libssl-dev rapidjson-dev libmysqlcppconn-dev
  mariadb-server mariadb-client
  libgtest-dev libgmock-dev googletest sysbench
  libspdlog-dev libfmt-dev libcli11-dev libcpp-httplib-dev
  grpc-proto
  # operations tests: a throwaway PKI (openssl), the Python gRPC client (tests/interop), the
  # YAML of deploy/ checked against the binary
  openssl python3 python3-grpcio python3-protobuf python3-yaml
)
# Fuzzing (tests/fuzz, docs/FUZZING.md): clang 14 with its libFuzzer and sanitizer runtimes; not
# for the container image's build stage.
if [[ "${SETUP_APT_ONLY:-0}" != 1 ]]; then
  PACKAGES+=(clang-14 libclang-rt-14-dev)
fi
# Node.js: keep whatever node is on PATH (the machine may have Node 20 from outside apt);
# install Debian's only when there is none.
if ! command -v node >/dev/null 2>&1 && [[ "${SETUP_APT_ONLY:-0}" != 1 ]]; then
  PACKAGES+=(nodejs npm)
fi
# The sanitizer builds of deploy/run_tests.sh use clang 14 (above, with its sanitizer runtimes);
# its format check clang-format 14 (git clang-format-14 included).
if [[ "${SETUP_APT_ONLY:-0}" != 1 ]]; then
  PACKAGES+=(clang-format-14)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == ii* ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  say "apt: all ${#PACKAGES[@]} packages already installed"
else
  say "apt: installing ${#missing[@]} missing package(s): ${missing[*]}"
  SUDO=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { say "error: need root or sudo for apt-get"; exit 1; }
    SUDO=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_log="$(mktemp)"
  if ! { "${SUDO[@]}" apt-get update -q &&
         "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
         </dev/null >"$apt_log" 2>&1; then
    tail -n 40 "$apt_log"
    rm -f "$apt_log"
    say "error: apt-get failed"
    exit 1
  fi
  rm -f "$apt_log"
  say "apt: done in $(($(now) - START)) s"
fi

if [[ "${SETUP_APT_ONLY:-0}" == 1 ]]; then
  say "done (SETUP_APT_ONLY=1) in $(($(now) - START)) s"
  exit 0
fi
command -v node >/dev/null 2>&1 || { say "error: node is still not on PATH"; exit 1; }
command -v npm >/dev/null 2>&1 || { say "error: npm is not on PATH"; exit 1; }

# ---- npm packages of the interop test -------------------------------------------------------
INTEROP="$ROOT/tests/interop"
STAMP="$INTEROP/node_modules/.citecheck-package-json.sha256"
want="$(sha256sum "$INTEROP/package.json" | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [[ -d "$INTEROP/node_modules" && "$want" == "$have" ]]; then
  say "npm: tests/interop/node_modules is up to date"
else
  say "npm: installing tests/interop dependencies (node $(node --version), npm $(npm --version))"
  if [[ -f "$INTEROP/package-lock.json" ]]; then
    (cd "$INTEROP" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
  else
    (cd "$INTEROP" && npm install --no-audit --no-fund --loglevel=error </dev/null)
  fi
  printf '%s\n' "$want" >"$STAMP"
  say "npm: done"
fi

# ---- configure and build --------------------------------------------------------------------
if [[ "${SETUP_SKIP_BUILD:-0}" == 1 ]]; then
  say "build skipped (SETUP_SKIP_BUILD=1); setup took $(($(now) - START)) s"
  exit 0
fi
if [[ ! -f "$BUILD_DIR/build.ninja" || ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  say "cmake: configuring $BUILD_DIR ($BUILD_TYPE)"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
fi
say "ninja: building $BUILD_DIR"
# ninja re-runs cmake by itself when a CMakeLists.txt changed. Its output is kept short unless
# the build fails.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! ninja -C "$BUILD_DIR" >"$log" 2>&1; then
  cat "$log"
  say "error: build failed"
  exit 1
fi
tail -n 1 "$log"
say "done in $(($(now) - START)) s"
