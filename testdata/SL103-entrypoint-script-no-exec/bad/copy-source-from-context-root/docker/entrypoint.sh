#!/bin/sh
set -e
node /srv/server.js
