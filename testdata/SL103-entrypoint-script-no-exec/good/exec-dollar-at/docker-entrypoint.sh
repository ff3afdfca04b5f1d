#!/bin/sh
set -e

# Run as the app user when started as root.
if [ "$(id -u)" = '0' ]; then
  exec gosu node "$0" "$@"
fi

if [ "${1#-}" != "$1" ]; then
  set -- node "$@"
fi

exec "$@"
