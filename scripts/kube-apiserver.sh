#!/usr/bin/env bash
# A real kube-apiserver and etcd for the test suite, built the way envtest gets its
# binaries: once per version, kept outside the repository in the portal's cache folder.
#
#   scripts/kube-apiserver.sh build   # etcd + kube-apiserver into $CACHE/kube/<version>/bin
#   scripts/kube-apiserver.sh path    # print the bin folder (exit 1 when not built)
#
# kube-apiserver comes from the k8s.io/kubernetes module. Its go.mod replaces the staging
# modules (k8s.io/api, k8s.io/apiserver, ...) with ./staging paths that the module zip
# does not carry, so each replacement is pointed at the published k8s.io/<name> module of
# the same minor (v0.37.x for v1.37.x) before `go build ./cmd/kube-apiserver`.
# etcd is built the same way from go.etcd.io/etcd/server/v3 (`go install ...@version`
# refuses a module with replace directives); Debian's etcd-server is the fallback.
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-v1.37.2}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
CACHE=${PORTAL_CACHE_DIR:-$HOME/.cache/mlops-portal}
ROOT=$CACHE/kube/$KUBE_VERSION
BIN=$ROOT/bin

# Go from its usual place when PATH lacks it (a CI shell); none at all is an error.
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
export GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod
export GOPATH=${GOPATH:-$HOME/go}
JOBS=${KUBE_BUILD_JOBS:-2}

staging_version() {  # v1.37.2 -> v0.37.2
  echo "v0.${KUBE_VERSION#v1.}"
}

# Copy a module out of the module cache into a writable folder, without go.work.
module_copy() {  # module@version dest
  local dir
  dir=$(go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -n $dir ]] || { echo "go mod download $1 failed" >&2; return 1; }
  rm -rf "$2" && mkdir -p "$2"
  cp -r "$dir"/. "$2"/ && chmod -R u+w "$2"
  rm -f "$2/go.work" "$2/go.work.sum"
}

build_etcd() {
  [[ -x $BIN/etcd ]] && return 0
  mkdir -p "$BIN"
  local src=$ROOT/etcd-src
  if module_copy "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "$src" && (
    cd "$src"
    # server/go.mod points go.etcd.io/etcd/api/v3 and friends at ../api, ...
    for name in $(sed -n 's#^[[:space:]]*\(go.etcd.io/etcd/[a-z0-9/]*\) => \.\./.*#\1#p' go.mod); do
      go mod edit -replace "$name=$name@$ETCD_VERSION"
    done
    go build -p "$JOBS" -trimpath -ldflags=-s -o "$BIN/etcd" .
  ); then
    rm -rf "$src"
    return 0
  fi
  rm -rf "$src"
  echo "building etcd $ETCD_VERSION failed; using Debian's etcd-server" >&2
  if [[ ! -x /usr/bin/etcd ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server
  fi
  ln -sf /usr/bin/etcd "$BIN/etcd"
}

build_apiserver() {
  [[ -x $BIN/kube-apiserver ]] && return 0
  mkdir -p "$BIN"
  local src=$ROOT/src staging name
  staging=$(staging_version)
  module_copy "k8s.io/kubernetes@$KUBE_VERSION" "$src"
  (
    cd "$src"
    for name in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => \./staging/.*#\1#p' go.mod); do
      if go mod download -json "$name@$staging" >/dev/null 2>&1; then
        go mod edit -replace "$name=$name@$staging"
      else
        # Not published at this version: the samples, which kube-apiserver does not use.
        echo "dropping $name: $name@$staging is not served" >&2
        go mod edit -dropreplace "$name" -droprequire "$name"
      fi
    done
    go build -p "$JOBS" -trimpath -ldflags=-s -o "$BIN/kube-apiserver" ./cmd/kube-apiserver
  )
  rm -rf "$src"
}

case ${1:-build} in
  build)
    if [[ ! -x $BIN/kube-apiserver || ! -x $BIN/etcd ]] && ! command -v go >/dev/null; then
      echo "building kube-apiserver needs Go (1.26 or later) on PATH" >&2
      exit 1
    fi
    mkdir -p "$ROOT"
    start=$(date +%s)
    build_apiserver
    build_etcd
    echo "kube-apiserver $KUBE_VERSION and etcd ready in $BIN ($(($(date +%s) - start)) s)"
    ;;
  path)
    [[ -x $BIN/kube-apiserver && -x $BIN/etcd ]] || exit 1
    echo "$BIN"
    ;;
  *)
    echo "usage: $0 build|path" >&2
    exit 2
    ;;
esac
