# Sourced by deploy/compose/up.sh, down.sh and tests/deploy/compose_test.sh:
# the engine, the project's names and small helpers around them.
# shellcheck source=../docker/engine.sh
source "$root/deploy/docker/engine.sh"
# wait_for, and write_network_json: GNLC_COMPOSE_RUN/network.json in the
# local launcher's format, so gnlcctl --city works against the containers.
# shellcheck source=../launcher_lib.sh
source "$root/deploy/launcher_lib.sh"
# image NAME, gnlc_images: the names build.sh gives the images.
# shellcheck source=../docker/images.sh
source "$root/deploy/docker/images.sh"

cities=(nanjing suzhou)
services=(catalog enrollment partnership analytics)
run="${GNLC_COMPOSE_RUN:-$root/.run/compose}"
project="${GNLC_COMPOSE_PROJECT:-gnlc}"
mkdir -p "$run"
run="$(cd "$run" && pwd)"
export GNLC_COMPOSE_RUN="$run" GNLC_COMPOSE_PROJECT="$project"

compose() { "${COMPOSE[@]}" -p "$project" -f "$root/deploy/compose/compose.yaml" "$@"; }
container() { echo "$project-$1-$2"; }  # container CITY SERVICE (or redis)

# gnlcctl (tool ARGS) or a shell with the demo loader (tool_sh SCRIPT), from
# the gnlcctl image on the host's network: the run folder is /gnlc, the
# checkout's deploy/ is /gnlc-src/deploy.
tool_run() {
  "$ENGINE" run --rm --no-healthcheck --network host -v "$run:/gnlc" \
    -v "$root/deploy:/gnlc-src/deploy:ro" -e GNLC_RUN_DIR=/gnlc "$@"
}
tool() { tool_run "$(image gnlcctl)" "$@"; }
tool_sh() { tool_run --entrypoint sh "$(image gnlcctl)" -c "$1"; }

# address CITY SERVICE [admin|dashboard]: the published 127.0.0.1:PORT.
address() {
  local port=50051
  [ "${3:-}" = admin ] && port=9090
  [ "${3:-}" = dashboard ] && port=8443
  "$ENGINE" port "$(container "$1" "$2")" "$port" | head -n1
}

# serving CITY SERVICE: the image's health check (Dockerfile, HEALTHCHECK)
# run in the container: grpc.health.v1 over TLS says SERVING.
serving() {
  "$ENGINE" exec "$(container "$1" "$2")" gnlcctl --addr=localhost:50051 \
    --ca=/etc/gnlc-secrets/tls/ca.crt --anonymous --timeout_ms=2000 health
}

