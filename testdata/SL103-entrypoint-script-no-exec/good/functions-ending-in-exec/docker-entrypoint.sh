#!/usr/bin/env bash
set -Eeo pipefail

_is_sourced() {
  [ "${#FUNCNAME[@]}" -ge 2 ] && [ "${FUNCNAME[0]}" = '_is_sourced' ] && [ "${FUNCNAME[1]}" = 'source' ]
}

_main() {
  if [ "$1" = 'server' ]; then
    case "$2" in
      --help|-h)
        echo "usage: server [--port N]"
        exit 0
        ;;
    esac
  fi
  exec "$@"
}

if ! _is_sourced; then
  _main "$@"
fi
