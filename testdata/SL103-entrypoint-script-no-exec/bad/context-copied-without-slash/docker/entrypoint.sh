#!/bin/sh
set -e
echo "listening on ${PORT:-3000}"
node server.js
