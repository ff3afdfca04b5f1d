#!/bin/sh
set -e
if [ -n "$SECRET_KEY_FILE" ]; then
  SECRET_KEY="$(cat "$SECRET_KEY_FILE")"
  export SECRET_KEY
fi
exec "$@"
