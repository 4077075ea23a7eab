#!/bin/sh
# Entrypoint of the pgkube image: runs `pgkube "$@"` (flags alone mean `pgkube up <flags>`; a program on
# PATH, such as `sh`, runs as given).
#
# Started as root (the image's default), it first hands the folders pgkube writes to the user `node`: the
# data directory (PGKUBE_DATA_DIR or --data-dir: certificates, and the embedded PostgreSQL when no
# --database-url is given) and the folder of the admin kubeconfig (PGKUBE_KUBECONFIG or --kubeconfig,
# usually bind-mounted from the host as k3s does with K3S_KUBECONFIG_OUTPUT). Then it runs pgkube as
# `node`, as the official postgres image does with its own user. Started as another user
# (`docker run --user 1000:1000`), it runs pgkube untouched. PGKUBE_RUN_AS_ROOT=1 keeps root.
set -eu

case "${1:--}" in -*) set -- up "$@" ;; esac
if [ "$1" != up ] && command -v -- "$1" >/dev/null 2>&1; then exec "$@"; fi

if [ "$(id -u)" = 0 ] && [ -z "${PGKUBE_RUN_AS_ROOT:-}" ]; then
  data_dir=${PGKUBE_DATA_DIR:-/var/lib/pgkube}
  kubeconfig=${PGKUBE_KUBECONFIG:-}
  prev=
  for arg in "$@"; do
    case "$prev" in
      --data-dir) data_dir=$arg ;;
      --kubeconfig) kubeconfig=$arg ;;
    esac
    case "$arg" in
      --data-dir=*) data_dir=${arg#--data-dir=} ;;
      --kubeconfig=*) kubeconfig=${arg#--kubeconfig=} ;;
    esac
    prev=$arg
  done
  as_node() { setpriv --reuid=node --regid=node --init-groups -- "$@"; }

  mkdir -p "$data_dir"
  # A fresh volume, or files left by a run as root: make them node's.
  find "$data_dir" \! -user node -exec chown node:node {} +
  if [ -n "$kubeconfig" ]; then
    out_dir=$(dirname -- "$kubeconfig")
    mkdir -p "$out_dir"
    if ! as_node test -w "$out_dir"; then chown node:node "$out_dir"; fi
    if [ -e "$kubeconfig" ] && ! as_node test -w "$kubeconfig"; then chown node:node "$kubeconfig"; fi
  fi
  HOME=$(getent passwd node | cut -d: -f6)
  export HOME
  exec setpriv --reuid=node --regid=node --init-groups -- pgkube "$@"
fi
exec pgkube "$@"
