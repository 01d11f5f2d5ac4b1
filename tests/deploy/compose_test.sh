#!/usr/bin/env bash
# The container path, for real: builds the images (deploy/docker/build.sh),
# brings up the two-city compose network (deploy/compose/up.sh) under a
# project of its own on free ports, and checks from the host:
#   1. every service of both cities answers SERVING (gnlcctl from the host,
#      and each image's own health check command in its container);
#   2. every container's process runs as user 10001, not root;
#   3. a learner enrolls in a demo offering and the catalog shows the seat;
#   4. a service container killed with SIGKILL is restarted by its restart
#      policy and serves again;
#   5. the city's Redis primary killed with SIGKILL: the Sentinels promote
#      the replica, the killed server is restarted by its policy and rejoins
#      as the replica, enrolling goes on, and every acknowledged enrollment
#      is there;
#   6. down.sh --volumes leaves no container, network or volume of the test;
# and that Docker's compose accepts the file (docker-compose 1.29's schema
# check, which needs no engine; podman-compose is what runs it here).
# Skipped (loudly) only where no container engine can run at all.
# Usage: compose_test.sh [BUILD_DIR]   (gnlcctl of the host build; default build)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ctl="${1:-$root/build}/tools/gnlcctl/gnlcctl"
started=$SECONDS
log() { echo "compose_test [$((SECONDS - started))s]: $*"; }
# CI shows only the end of what a failed run printed, so the failure itself
# goes last: cleanup prints the containers' logs, then the log of the step
# that failed (failed_log), then this message (kept in a file: a call that
# fails inside $(...) exits only its subshell).
failed_log=""
fail() {
  echo "compose_test: FAIL: $*" >&2
  [ -z "${GNLC_COMPOSE_RUN:-}" ] || echo "$*" >>"$GNLC_COMPOSE_RUN/failure"
  exit 1
}
skip_loudly() {
  printf '\n%s\n%s\n%s\n\n' "################################################################" \
    "compose_test: SKIPPED: $*" "################################################################" >&2
  exit 0
}

if ! (source "$root/deploy/docker/engine.sh" >/dev/null 2>&1 && "$ENGINE" info >/dev/null 2>&1); then
  skip_loudly "no container engine can run here (neither a Docker engine nor podman)"
fi

GNLC_COMPOSE_PROJECT=gnlc-test
GNLC_COMPOSE_RUN="$(mktemp -d /tmp/gnlc-compose-test.XXXXXX)"
export GNLC_COMPOSE_PROJECT GNLC_COMPOSE_RUN
# shellcheck source=../../deploy/compose/common.sh
source "$root/deploy/compose/common.sh"
install_packages jq docker-compose
export GNLC_RUN_DIR="$run"  # gnlcctl --city reads $run/network.json and $run/pki

# Free loopback ports for every published port, from a random start.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
next=$((20000 + RANDOM % 20000))
for city in "${cities[@]}"; do
  for svc in "${services[@]}"; do
    for kind in PORT ADMIN_PORT; do
      until port_free "$next"; do next=$((next + 1)); done
      export "GNLC_${city^^}_${svc^^}_${kind}=$next"
      next=$((next + 1))
    done
  done
  until port_free "$next"; do next=$((next + 1)); done
  export "GNLC_${city^^}_DASHBOARD_PORT=$next"
  next=$((next + 1))
done

cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    "$ENGINE" ps -a --filter "label=com.docker.compose.project=$project" >&2 || true
    for c in $("$ENGINE" ps -a --format '{{.Names}}' --filter "label=com.docker.compose.project=$project"); do
      echo "--- $c" >&2
      # Audit lines say only that calls went on; warnings say what did not.
      "$ENGINE" logs --tail 200 "$c" 2>&1 | grep -v '"audit":true' | tail -n 12 >&2 || true
    done
    if [ -n "$failed_log" ]; then
      echo "--- the end of $failed_log" >&2
      tail -n 40 "$run/$failed_log" >&2 || true
    fi
    echo "compose_test: FAIL after $((SECONDS - started)) s: $(cat "$run/failure" 2>/dev/null ||
      echo "exit $rc")" >&2
    "$root/deploy/compose/down.sh" --volumes >/dev/null 2>&1 || true
  fi
  rm -rf "$run"
}
trap cleanup EXIT

# Whatever an interrupted earlier run left behind goes first.
"$root/deploy/compose/down.sh" --volumes >/dev/null 2>&1 || true
log "building the images"
failed_log=build.log
"$root/deploy/docker/build.sh" >"$run/build.log" 2>&1 || fail "build.sh"
failed_log=""
grep -E '^gnlc/' "$run/build.log" || true
log "starting the two-city network (project $project)"
failed_log=up.log
"$root/deploy/compose/up.sh" >"$run/up.log" 2>&1 || fail "up.sh"
failed_log=""

docker-compose -p "$project" -f "$root/deploy/compose/compose.yaml" config -q ||
  fail "docker-compose rejects deploy/compose/compose.yaml"

call() {  # call CITY METHOD JSON: the response JSON; a failed call fails the test
  # UNAVAILABLE is retried, as gnlc tells its clients to (up to 10 times,
  # 0.5 s apart): on two cores shared by 18 containers, a service that has
  # just restarted can find Redis busy past its command timeout. Writes
  # retried here are idempotent (a request id) or harmless (a new learner).
  local out attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if out=$("$ctl" --city="$1" --timeout_ms=5000 "$2" "$3" 2>"$GNLC_COMPOSE_RUN/call.err"); then
      printf '%s\n' "$out"
      return 0
    fi
    grep -q '^UNAVAILABLE' "$GNLC_COMPOSE_RUN/call.err" || break
    log "$2: UNAVAILABLE (attempt $attempt), retrying: $(head -1 "$GNLC_COMPOSE_RUN/call.err")" >&2
    sleep 0.5
  done
  cat "$GNLC_COMPOSE_RUN/call.err" >&2
  fail "$2 $3"
}
pid_of() { "$ENGINE" inspect --format '{{.State.Pid}}' "$1"; }
restarts_of() { "$ENGINE" inspect --format '{{.RestartCount}}' "$1"; }

# 1. SERVING, from the host and by each image's own health check.
for city in "${cities[@]}"; do
  for svc in "${services[@]}"; do
    [ "$("$ctl" --city="$city" health "$svc")" = SERVING ] || fail "$city $svc is not SERVING"
    if [ "$ENGINE" = podman ]; then
      "$ENGINE" healthcheck run "$(container "$city" "$svc")" >/dev/null 2>&1 ||
        fail "the health check of $(container "$city" "$svc") fails"
    fi
  done
done
log "1. all 8 services SERVING"

# 1b. The dashboard: HTTPS with the city's CA, for an analyst's token only.
for city in "${cities[@]}"; do
  web="https://$(address "$city" analytics dashboard)"
  ca="$run/pki/$city/tls/ca.crt"
  analyst=$("$ctl" token --city="$city" --role=analyst --sub=compose-analyst)
  curl -fsS --cacert "$ca" -H "Authorization: Bearer $analyst" "$web/dashboard?lang=en" |
    grep 'Learning city indicators' >/dev/null || fail "$city: no dashboard for an analyst"
  [ "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$ca" "$web/export.csv")" = 401 ] ||
    fail "$city: the CSV export answers without a token"
done
log "1b. both dashboards over HTTPS, for analysts only"

# 2. Non-root: the uid of each container's process, as the host sees it.
for city in "${cities[@]}"; do
  for svc in "${services[@]}" redis redis-replica sentinel-1 sentinel-2 sentinel-3; do
    c="$(container "$city" "$svc")"
    uids=$(awk '/^Uid:/ { print $2, $3 }' "/proc/$(pid_of "$c")/status")
    [ "$uids" = "10001 10001" ] || fail "$c runs as uid $uids, not 10001"
  done
done
log "2. all 18 containers run as uid 10001"

# 3. An enrollment in a demo offering with seats, seen by the catalog.
offering=""
for program in $(call nanjing catalog.SearchPrograms \
  '{"parent":"cities/nanjing","availability":["AVAILABILITY_OPEN"],"page_size":50}' |
  jq -r '.results[].program.name'); do
  offering=$(call nanjing catalog.ListOfferings "{\"parent\":\"$program\"}" |
    jq -r '[.offerings[] | select(.availability == "AVAILABILITY_OPEN" and .seats_left >= 20)][0].name // empty')
  [ -n "$offering" ] && break
done
[ -n "$offering" ] || fail "no demo offering with 20 seats left"
seats_taken() { call nanjing catalog.GetOffering "{\"name\":\"$offering\"}" | jq -r '.offering.seats_taken // 0'; }
before=$(seats_taken)

enrolled=()
enroll() {  # a new learner enrolled in $offering; appends the enrollment's name to enrolled
  local learner enrollment
  learner=$(call nanjing enrollment.CreateLearner \
    '{"parent":"cities/nanjing","learner":{"district":"gulou","age_band":"AGE_BAND_ADULT"}}' |
    jq -r .learner.name)
  enrollment=$(call nanjing enrollment.CreateEnrollment "{\"parent\":\"cities/nanjing\",\
\"learner\":\"$learner\",\"offering\":\"$offering\",\"request_id\":\"compose-test-${learner##*/}\"}")
  [ "$(jq -r .enrollment.state <<<"$enrollment")" = ENROLLMENT_STATE_CONFIRMED ] ||
    fail "enrollment not confirmed: $enrollment"
  enrolled+=("$(jq -r .enrollment.name <<<"$enrollment")")
}
enroll
seats_are() { [ "$(seats_taken)" = "$1" ]; }
wait_for 15 "the catalog to show the seat taken" seats_are $((before + 1)) ||
  fail "seats_taken of $offering is $(seats_taken), expected $((before + 1))"
log "3. enrolled in $offering; the catalog shows seats_taken $before -> $((before + 1))"

# 4. SIGKILL of a service's process: its restart policy brings it back.
c="$(container nanjing enrollment)"
restarts=$(restarts_of "$c")
kill -KILL "$(pid_of "$c")"
restarted() { [ "$(restarts_of "$c")" -gt "$restarts" ]; }
wait_for 60 "$c to be restarted" restarted || fail "$c was not restarted after SIGKILL"
wait_for 60 "$c to serve again" "$ctl" --city=nanjing health enrollment || fail "$c not SERVING again"
enroll
log "4. $c killed with SIGKILL, restarted by its policy, SERVING and enrolling again"

# 5. SIGKILL of the city's Redis primary: the Sentinels promote the
# replica; the killed server, restarted by its policy, rejoins as the
# replica, and from then on writes are acknowledged again (each waits for a
# replica to have it); every acknowledged enrollment is there.
for _ in $(seq 1 10); do enroll; done
r="$(container nanjing redis)" replica="$(container nanjing redis-replica)"
role_of() {  # role_of CONTAINER: master or slave
  "$ENGINE" exec "$1" sh -c 'REDISCLI_AUTH=$(cat /etc/gnlc-secrets/admin.password) \
    redis-cli --user admin --no-auth-warning role' | head -n 1
}
[ "$(role_of "$r")" = master ] && [ "$(role_of "$replica")" = slave ] ||
  fail "expected $r primary and $replica its replica"
restarts=$(restarts_of "$r")
killed=$SECONDS
kill -KILL "$(pid_of "$r")"
promoted() { [ "$(role_of "$replica")" = master ]; }
wait_for 60 "the Sentinels to promote $replica" promoted || fail "$replica was not promoted"
log "5. $r killed; $replica promoted after $((SECONDS - killed)) s"
redis_restarted() { [ "$(restarts_of "$r")" -gt "$restarts" ]; }
wait_for 60 "$r to be restarted" redis_restarted || fail "$r was not restarted after SIGKILL"
rejoined() { [ "$(role_of "$r")" = slave ]; }
wait_for 60 "$r to rejoin as the replica" rejoined || fail "$r did not rejoin as the replica"
# Calls meanwhile were UNAVAILABLE and are retried, as a mobile backend
# does: the same learner and request id until acknowledged.
pending=""
enrolled_again() {
  local e
  if [ -z "$pending" ]; then
    pending=$("$ctl" --city=nanjing --timeout_ms=5000 enrollment.CreateLearner \
      '{"parent":"cities/nanjing","learner":{"district":"gulou","age_band":"AGE_BAND_ADULT"}}' |
      jq -r '.learner.name // empty') || true
    [ -n "$pending" ] || return 1
  fi
  e=$("$ctl" --city=nanjing --timeout_ms=5000 enrollment.CreateEnrollment "{\"parent\":\
\"cities/nanjing\",\"learner\":\"$pending\",\"offering\":\"$offering\",\
\"request_id\":\"compose-test-${pending##*/}\"}") || return 1
  [ "$(jq -r .enrollment.state <<<"$e")" = ENROLLMENT_STATE_CONFIRMED ] || return 1
  enrolled+=("$(jq -r .enrollment.name <<<"$e")")
}
wait_for 60 "an enrollment to be acknowledged again" enrolled_again ||
  fail "no enrollment acknowledged after the failover"
log "5. $r back as the replica; enrolling again $((SECONDS - killed)) s after the kill"
confirmed() {
  "$ctl" --city=nanjing enrollment.GetEnrollment "{\"name\":\"$1\"}" |
    jq -e '.enrollment.state == "ENROLLMENT_STATE_CONFIRMED"'
}
for e in "${enrolled[@]}"; do
  wait_for 30 "$e" confirmed "$e" ||
    fail "$e lost with the failover: $("$ctl" --city=nanjing enrollment.GetEnrollment \
      "{\"name\":\"$e\"}" 2>&1)"
done
wait_for 15 "the catalog's seat count" seats_are $((before + ${#enrolled[@]})) ||
  fail "seats_taken is $(seats_taken), expected $((before + ${#enrolled[@]}))"
log "5. all ${#enrolled[@]} acknowledged enrollments kept across the failover"

# 6. down --volumes removes everything of the project.
mine() {  # mine KIND: the names of the project's containers, networks or volumes
  case "$1" in
    containers) "$ENGINE" ps -a --format '{{.Names}}' --filter "name=^$project-" ;;
    networks) "$ENGINE" network ls --format '{{.Name}}' | grep "^$project-" || true ;;
    volumes) "$ENGINE" volume ls --format '{{.Name}}' | grep "^${project}_" || true ;;
  esac
}
[ "$(mine containers | wc -l)" = 18 ] && [ "$(mine networks | wc -l)" = 3 ] &&
  [ "$(mine volumes | wc -l)" = 10 ] || fail "expected 18 containers, 3 networks, 10 volumes before down"
"$root/deploy/compose/down.sh" --volumes >/dev/null
for kind in containers networks volumes; do
  left=$(mine "$kind")
  [ -z "$left" ] || fail "down left $kind behind: $left"
done
log "6. down --volumes left no container, network or volume"
log "PASS"
