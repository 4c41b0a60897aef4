#!/usr/bin/env bash
# Builds the real control-plane binaries (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl) and helm from the Go module proxy, cached by version outside the
# repository so that only the first run pays for the build.
#
# `go install k8s.io/kubernetes/cmd/...@v` refuses modules with local replace directives, so each
# build uses a small wrapper module that requires the real module and replaces every local path
# listed in that version's own go.mod with the matching published release.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
CACHE_ROOT="${SYNTHETIQ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/synthetiq-tasks}"
BIN_DIR="$CACHE_ROOT/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export GOTOOLCHAIN=local
export CGO_ENABLED=0

log() { printf '[build-binaries] %s\n' "$*" >&2; }

# replace_lines MODULE VERSION MAP: prints `-replace=mod=mod@ver` for each local replace in the
# module's go.mod; MAP turns the real module's version into the sibling module's version.
replace_flags() {
  local module="$1" version="$2" sibling_version="$3" gomod
  gomod="$(go mod download -json "$module@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  awk '/=>/ { for (i = 1; i <= NF; i++) if ($i == "=>") { from = $(i-1); to = $(i+1); if (to ~ /^\.\.?\// && to !~ /FORBIDDEN/) print from } }' "$gomod" \
    | sort -u | while read -r dep; do
        printf -- '-replace=%s=%s@%s\n' "$dep" "$dep" "$sibling_version"
      done
}

# build_in_wrapper NAME MODULE VERSION SIBLING_VERSION LDFLAGS PKG...
build_in_wrapper() {
  local name="$1" module="$2" version="$3" sibling_version="$4" ldflags="$5"; shift 5
  local dir="$CACHE_ROOT/wrappers/$name-$version"
  rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
  go mod init "local.build/$name" >/dev/null 2>&1
  local flags
  flags="$(replace_flags "$module" "$version" "$sibling_version")"
  # shellcheck disable=SC2086
  [ -n "$flags" ] && go mod edit $flags
  go get "$module@$version" >/dev/null
  for pkg in "$@"; do go get "$pkg@$version" >/dev/null 2>&1 || true; done
  log "compiling $name $version ($*) — the first build takes several minutes"
  go build -trimpath -ldflags "$ldflags" -o "$BIN_DIR/" "$@"
}

mkdir -p "$BIN_DIR"
want=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl helm)
all_cached() {
  for b in "${want[@]}"; do [ -x "$BIN_DIR/$b" ] || return 1; done
}
if all_cached; then echo "$BIN_DIR"; exit 0; fi
# Concurrent first runs (two test runs, CI steps) wait for one build instead of racing in the
# same wrapper directories; the one that waited finds the binaries cached.
exec 9>"$CACHE_ROOT/build-binaries.lock"
flock 9
if all_cached; then echo "$BIN_DIR"; exit 0; fi

start=$(date +%s)
if [ ! -x "$BIN_DIR/etcd" ]; then
  build_in_wrapper etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$ETCD_VERSION" \
    "-X go.etcd.io/etcd/api/v3/version.GitSHA=release" go.etcd.io/etcd/server/v3
  mv "$BIN_DIR/v3" "$BIN_DIR/etcd" 2>/dev/null || true
  [ -x "$BIN_DIR/server" ] && mv "$BIN_DIR/server" "$BIN_DIR/etcd"
fi

need_k8s=0
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do [ -x "$BIN_DIR/$b" ] || need_k8s=1; done
if [ "$need_k8s" = 1 ]; then
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"; patch="${K8S_VERSION##*.}"
  staging="v0.$minor.$patch"
  vpkg=k8s.io/component-base/version
  cpkg=k8s.io/client-go/pkg/version
  ld="-s -w"
  for p in $vpkg $cpkg; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.gitCommit=module-proxy-build -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  build_in_wrapper kubernetes k8s.io/kubernetes "$K8S_VERSION" "$staging" "$ld" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
fi

if [ ! -x "$BIN_DIR/helm" ]; then
  build_in_wrapper helm helm.sh/helm/v3 "$HELM_VERSION" "$HELM_VERSION" \
    "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" helm.sh/helm/v3/cmd/helm
fi
log "built in $(( $(date +%s) - start )) s into $BIN_DIR"
echo "$BIN_DIR"
