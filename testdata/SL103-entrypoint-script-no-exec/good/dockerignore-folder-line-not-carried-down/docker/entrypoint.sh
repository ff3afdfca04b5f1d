#!/bin/sh
# local development: watch and restart
npx nodemon --watch src &
"$@"
