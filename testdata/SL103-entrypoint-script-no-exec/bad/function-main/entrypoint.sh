#!/bin/bash
set -e

setup_env() {
  : "${API_LOG_LEVEL:=info}"
  export API_LOG_LEVEL
}

main() {
  setup_env
  if [ "$1" = "api" ]; then
    echo "configuring api"
  fi
  "$@"
}

main "$@"
