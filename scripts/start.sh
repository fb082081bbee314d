#!/usr/bin/env bash
# Installs Pantau into .venv, fills the embedded SQLite database (./pantau.db) with fresh S demo data, builds its
# snapshots and serves the dashboard at http://127.0.0.1:8000, with the scheduler keeping the snapshots up to date.
# Ctrl-C stops both. Run it again to start over with fresh data.
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
say "starting the scheduler, which keeps the snapshots up to date"
"$VENV/bin/pantau" scheduler &
scheduler_pid=$!
trap 'kill "$scheduler_pid" 2>/dev/null' EXIT
say "starting Pantau at http://127.0.0.1:8000 (Ctrl-C to stop)"
"$VENV/bin/pantau" serve --host 127.0.0.1 --port 8000
