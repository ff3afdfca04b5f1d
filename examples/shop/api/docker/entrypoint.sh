#!/bin/sh
set -e

# Wait for the database, then bring the schema up to date.
until nc -z "$DB_HOST" 5432; do
  echo "waiting for database"
  sleep 1
done
npx prisma migrate deploy

"$@"
