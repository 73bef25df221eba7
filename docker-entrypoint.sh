#!/bin/sh
# Migrations first (one container at a time, under a database lock), then the web server.
set -e
python -m app migrate
exec python -m app serve --host 0.0.0.0 --port "${PORT:-8000}" --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" "$@"
