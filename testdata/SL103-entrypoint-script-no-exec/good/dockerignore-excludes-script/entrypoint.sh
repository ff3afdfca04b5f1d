#!/bin/sh
# local development: runs the app with the debugger
set -e
node --inspect server.js
