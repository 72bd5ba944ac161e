#!/usr/bin/env bash
# Property-based test of the API against its own OpenAPI schema, on a live server.
#
#   tests/api/schemathesis_run.sh BASE_URL TOKEN [MAX_EXAMPLES]
#   BASE_URL=http://127.0.0.1:8000 TOKEN=... MAX_EXAMPLES=50 tests/api/schemathesis_run.sh
#
# BASE_URL is the server's origin (the schema is read from BASE_URL/api/schema/); TOKEN is an
# API token of a test user, e.g. after `manage.py load_demo`:
#   TOKEN=$(curl -s -X POST "$BASE_URL/api/auth/token/" -H 'Content-Type: application/json' \
#           -d '{"username": "ny_preparer", "password": "Demo@2026"}' | python -c \
#           'import json, sys; print(json.load(sys.stdin)["token"])')
# (or `manage.py create_api_token ny_preparer`, which prints the token alone). Fails
# (non-zero exit) on any 5xx, any undocumented status code or content type, or any response
# body that does not match the schema. Run it against a scratch database: it creates, edits
# and submits declarations. The operations that revoke tokens (logout, logout-all, revoking a
# token) are left out, since they would revoke the very token the run authenticates with.
# The server should run with a high API_USER_RATE, or the rate limit answers most requests
# with 429 (documented, so not a failure, but nothing else gets tested).
#
# Extra arguments after MAX_EXAMPLES go to `schemathesis run` unchanged (e.g. --seed 1,
# --include-path-regex '^/api/tasks/', --report junit --report-dir "$PWD/reports").
set -euo pipefail

BASE_URL="${1:-${BASE_URL:-}}"
TOKEN="${2:-${TOKEN:-}}"
MAX_EXAMPLES="${3:-${MAX_EXAMPLES:-50}}"
if [[ -z "$BASE_URL" || -z "$TOKEN" ]]; then
    echo "usage: $0 BASE_URL TOKEN [MAX_EXAMPLES] [schemathesis options...]" >&2
    exit 2
fi
shift $(( $# < 3 ? $# : 3 ))
BASE_URL="${BASE_URL%/}"

SCHEMATHESIS="${SCHEMATHESIS:-schemathesis}"
if ! command -v "$SCHEMATHESIS" >/dev/null 2>&1; then
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    SCHEMATHESIS="$here/.venv/bin/schemathesis"
fi
SCHEMATHESIS="$(command -v "$SCHEMATHESIS")"

# Schemathesis keeps its cache and example database in ./.schemathesis and its reports in
# ./schemathesis-report: run it from a scratch directory, never from the checkout. Give
# --report-dir an absolute path to keep reports elsewhere.
WORKDIR="${SCHEMATHESIS_WORKDIR:-${TMPDIR:-/tmp}/schemathesis-perf-approvals}"
mkdir -p "$WORKDIR"
cd "$WORKDIR"

exec "$SCHEMATHESIS" run "$BASE_URL/api/schema/" \
    --url "$BASE_URL" \
    --header "Authorization: Token $TOKEN" \
    --exclude-operation-id-regex '^auth_(logout_create|logout_all_create|tokens_destroy)$' \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$MAX_EXAMPLES" \
    --wait-for-schema 30 \
    --request-timeout 30 \
    --workers 1 \
    --no-color \
    "$@"
