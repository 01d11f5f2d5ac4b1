#!/usr/bin/env bash
# Stops and removes the containers and networks of deploy/compose (SIGTERM
# first: each service drains). The Redis data stays in its named volumes for
# the next up.sh, unless --volumes is given. Credentials in the run folder
# stay either way.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=common.sh
source "$root/deploy/compose/common.sh"
args=(down -t 15)
volumes=""
if [ "${1:-}" = --volumes ]; then args+=(-v); volumes=" (and its volumes)"; fi
compose "${args[@]}" >"$run/compose-down.log" 2>&1 || { cat "$run/compose-down.log" >&2; exit 1; }
# podman-compose 1.0 leaves the networks behind; docker compose removed them.
for net in nanjing suzhou federation; do
  if "$ENGINE" network inspect "$project-$net" >/dev/null 2>&1; then
    "$ENGINE" network rm "$project-$net" >/dev/null
  fi
done
echo "gnlc network of project $project stopped and removed$volumes"
