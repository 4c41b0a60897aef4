#!/usr/bin/env bash
# The project's entry point for people and CI. Every command installs what it needs, idempotently.
#   bash scripts/dev.sh demo          bring up the local cluster and everything around it, run examples
#   bash scripts/dev.sh demo down | status   stop what the demo started | list what runs
#   bash scripts/dev.sh test          lint, type-check, schema drift, then every test
#   bash scripts/dev.sh build         bundle the runner, operator and HTTP API into dist/ (scripts/build.ts)
#   bash scripts/dev.sh cluster-up | cluster-down | bench | check | setup
# Every command that runs dist/ (test, demo [up], cluster-up, bench) builds it first, so it is never stale.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$("$ROOT/scripts/node24" --print-bin-dir):$ROOT/node_modules/.bin:$PATH"
export SYNTHETIQ_CACHE="${SYNTHETIQ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/synthetiq-tasks}"

APT_PACKAGES=(redis-server postgresql poppler-utils prometheus docker-registry)
PY_PACKAGES=("moto[server]==5.1.*" "picklescan==0.0.*" "celery[redis]==5.5.*" "numpy<3")

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

setup_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    step "installing Debian packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    # Services must not start system-wide: tests start their own on loopback.
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null && $sudo chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

setup_python() {
  local venv="$SYNTHETIQ_CACHE/venv"
  local stamp="$venv/.installed-$(printf '%s ' "${PY_PACKAGES[@]}" | sha1sum | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    step "installing Python packages into $venv: ${PY_PACKAGES[*]}"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
    touch "$stamp"
  fi
}

setup_npm() {
  local stamp="node_modules/.installed-$(sha1sum package-lock.json | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    step "installing npm packages"
    # Not `npm ci`: the registry these machines reach lacks some other platforms' optional builds
    # (for example biome's darwin binaries), which npm leaves out of the lockfile, and `npm ci`
    # then refuses the lockfile. `npm install --no-save` installs the locked versions all the same.
    npm install --no-audit --no-fund --no-save --loglevel=error
    touch "$stamp"
  fi
}

setup_binaries() {
  step "control-plane binaries (built from the Go module proxy on first use, then cached)"
  bash "$ROOT/test/cluster/build-binaries.sh" >/dev/null
}

setup() { setup_npm; setup_apt; setup_python; setup_binaries; }

build() {
  step "bundle the entry points into dist/ (rolldown)"
  node scripts/build.ts
}

check() {
  step "lint and format (biome)"
  biome check .
  step "type-check (tsc)"
  tsc -p tsconfig.json
  step "generated schemas are up to date"
  node scripts/generate-schemas.ts --check
}

cmd="${1:-}"; shift || true
case "$cmd" in
  setup) setup ;;
  check) setup_npm; check ;;
  build) setup_npm; build ;;
  test)
    setup
    check
    build
    step "tests (vitest: unit, integration, e2e on the local cluster)"
    mkdir -p .cache
    status=0
    vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-report.json "$@" || status=$?
    node scripts/test-summary.ts .cache/vitest-report.json || status=$((status == 0 ? 1 : status))
    exit "$status"
    ;;
  cluster-up) setup_npm; setup_binaries; build; node test/cluster/cli.ts up "$@" ;;
  cluster-down) setup_npm; node test/cluster/cli.ts down "$@" ;;
  demo)
    # Stopping or listing the demo runs none of dist/ nor the installed tools: only the npm packages.
    case "${1:-up}" in
      down | status) setup_npm ;;
      *) setup; build ;;
    esac
    node scripts/demo.ts "$@"
    ;;
  bench) setup; build; node bench/run.ts "$@" ;;
  *) echo "usage: bash scripts/dev.sh {demo|test|check|build|setup|cluster-up|cluster-down|bench}" >&2; exit 2 ;;
esac
