#!/usr/bin/env bash
# Installs Pantau into .venv, fills the embedded SQLite database (./pantau.db) with fresh S demo data and serves
# the dashboard at http://127.0.0.1:8000. Ctrl-C stops it. Run it again to start over with fresh data.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$PANTAU_ROOT"

ensure_venv ""

# The demo always uses the embedded default, whatever a local .env says, so it can never touch a real database.
export DATABASE_URL="sqlite:///./pantau.db" REDIS_URL="" ENVIRONMENT="development"
say "preparing the database (./pantau.db)"
"$VENV/bin/pantau" migrate
say "loading demo data"
"$VENV/bin/pantau" demo --size S --reset
say "building the snapshots of the demo week"
"$VENV/bin/pantau" aggregate backfill --from "$(date -u -d '9 days ago' +%F)" --to "$(date -u -d tomorrow +%F)"
say "starting Pantau at http://127.0.0.1:8000 (Ctrl-C to stop)"
exec "$VENV/bin/pantau" serve --host 127.0.0.1 --port 8000
