#!/usr/bin/env bash
# End to end: the launcher brings up both cities in a private run folder;
# every service answers SERVING to grpc.health.v1; each city serves its own
# demo catalog in Chinese and English and refuses the other city's names; the
# demo residents' enrollments show as seats in the catalog; the demo
# partnerships include a Nanjing–Suzhou one; the README's calls and the
# Python mobile-backend example work as written; a second up.sh changes nothing; down.sh leaves no process behind.
# Usage (from CTest): two_city_network_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
# Under pipefail, never end a pipeline with `grep -q`: it exits at the first
# match, the command feeding it dies of SIGPIPE, and the check fails at
# random. `grep PATTERN >/dev/null` reads to the end.
src="$1"
build="$2"
run="$(mktemp -d /tmp/gnlc-e2e-XXXXXX)"
export GNLC_RUN_DIR="$run" GNLC_BUILD_DIR="$build" GNLC_SKIP_DEPS=1 GNLC_SKIP_BUILD=1
ctl="$build/tools/gnlcctl/gnlcctl"
pki="$run/pki"  # deploy/local/up.sh keeps the development PKI there
cleanup() { "$src/deploy/local/down.sh" >/dev/null 2>&1 || true; rm -rf "$run"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$src/deploy/local/up.sh" >"$run/up.log" 2>&1 || { cat "$run/up.log"; fail "up.sh failed"; }
[ -f "$run/network.json" ] || fail "no network.json"

for city in nanjing suzhou; do
  for svc in catalog enrollment partnership analytics; do
    addr=$(grep -o "\"$city\": {[^}]*" "$run/network.json" | grep -o "\"$svc\": \"[0-9.:]*\"" | grep -o '127[0-9.:]*')
    [ -n "$addr" ] || fail "no $svc address for $city"
    "$ctl" --city="$city" --addr="$addr" grpc.health.v1.Health.Check "{}" | grep '"SERVING"' >/dev/null \
      || fail "$city $svc not SERVING"
  done
  grep -q "^$city: 60 learners; [0-9]* enrollments confirmed, [1-9][0-9]* waitlisted" "$run/up.log" \
    || fail "$city: no demo enrollments"
  grep -q "^$city: 8 partners, 4 partnerships" "$run/up.log" || fail "$city: no demo partnerships"
done
# Analytics counted the demo residents, has the cities' targets, compares
# with the other city, and serves the dashboard.
for city in nanjing suzhou; do
  card=""
  for _ in $(seq 100); do  # ingestion is asynchronous: poll, bounded
    card=$("$ctl" --network="$run/network.json" --city=$city analytics.GetScorecard \
      "{\"parent\":\"cities/$city\",\"period\":{\"kind\":\"PERIOD_KIND_YEAR\",\"year\":$(date -u +%Y)}}")
    grep -A10 '"INDICATOR_PARTICIPATION_RATE"' <<<"$card" | grep '"numerator": "[1-9]' >/dev/null && break
    sleep 0.2
  done
  grep -A10 '"INDICATOR_PARTICIPATION_RATE"' <<<"$card" | grep '"numerator": "[1-9]' >/dev/null \
    || fail "$city: analytics counted no participants"
  grep -q '"target_value": 0.7' <<<"$card" || fail "$city: job placement target not set"
  "$ctl" --network="$run/network.json" --city=$city analytics.CompareCities \
    "{\"parent\":\"cities/$city\"}" | grep -c '"available": true' | grep '^2$' >/dev/null \
    || fail "$city: CompareCities does not show both cities"
  # The dashboard: HTTPS with the city's CA, for an analyst's token only;
  # the plaintext admin port does not serve it.
  read -r _ admin _ web <"$run/$city/analytics.ports"
  ca="$pki/$city/tls/ca.crt"
  analyst=$("$ctl" token --city=$city --role=analyst --sub=e2e-analyst)
  curl -fsS --cacert "$ca" -H "Authorization: Bearer $analyst" \
    "https://127.0.0.1:$web/dashboard?lang=zh" | grep '终身学习参与率' >/dev/null \
    || fail "$city: no dashboard for an analyst"
  [ "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$ca" \
      "https://127.0.0.1:$web/export.csv?indicator=participation-rate")" = 401 ] \
    || fail "$city: the CSV export answers without a token"
  [ "$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin/dashboard")" = 404 ] \
    || fail "$city: the plaintext admin port serves the dashboard"
done
# The Nanjing–Suzhou partnership: in Nanjing, with a Suzhou member, international.
"$ctl" --network="$run/network.json" --city=nanjing partnership.ListPartnerships \
  '{"parent":"cities/nanjing","member_city":"suzhou"}' | grep '"international": true' >/dev/null \
  || fail "no international Nanjing–Suzhou partnership"
# Seats taken by the demo residents reach the catalog (enrollment stream ->
# catalog): some offering of the senior smartphone course shows seats taken.
program=$("$ctl" --network="$run/network.json" --city=nanjing catalog.SearchPrograms \
  '{"parent":"cities/nanjing","query":"smartphones"}' | grep -o '"name": "cities/nanjing/programs/[a-z0-9]*"' \
  | head -1 | grep -o 'cities/[a-z0-9/]*')
seats_taken() {
  "$ctl" --network="$run/network.json" --city=nanjing catalog.ListOfferings "{\"parent\":\"$program\"}" \
    | grep -c '"seats_taken": [1-9]'
}
for _ in $(seq 50); do [ "$(seats_taken)" -ge 1 ] && break; sleep 0.1; done  # polls, 5 s at most
[ "$(seats_taken)" -ge 1 ] || fail "catalog does not show seats taken by enrollments"
if "$ctl" --network="$run/network.json" --city=suzhou enrollment.GetLearner \
  '{"name":"cities/nanjing/learners/l1"}' 2>&1 | grep '"name"' >/dev/null; then
  fail "suzhou answered for a nanjing learner"
fi

# Security: every port speaks TLS only; without a token a resident's data is
# refused (the public catalog is not); another resident's learner is
# NOT_FOUND; data-rights calls and denials leave audit lines.
enrollment=$(grep -o '"nanjing": {[^}]*' "$run/network.json" | grep -o '"enrollment": "[0-9.:]*"' | grep -o '127[0-9.:]*')
if "$ctl" --city=nanjing --plaintext --addr="$enrollment" grpc.health.v1.Health.Check '{}' >/dev/null 2>&1; then
  fail "enrollment answered plaintext"
fi
learner=$("$ctl" --network="$run/network.json" --city=nanjing --token="$("$ctl" token --city=nanjing --role=resident --sub=e2e-resident)" \
  enrollment.CreateLearner '{"parent":"cities/nanjing","learner":{"district":"gulou","age_band":"AGE_BAND_ADULT"}}' \
  | grep -o '"cities/nanjing/learners/[a-z0-9]*"' | tr -d '"')
[ -n "$learner" ] || fail "a resident could not create their learner"
for call in "GetLearner" "ExportLearnerData" "EraseLearner"; do
  out=$("$ctl" --network="$run/network.json" --city=nanjing --anonymous enrollment.$call "{\"name\":\"$learner\"}" 2>&1) \
    && fail "anonymous $call succeeded"
  grep -q "UNAUTHENTICATED" <<<"$out" || fail "anonymous $call: $out"
  out=$("$ctl" --network="$run/network.json" --city=nanjing --token="$("$ctl" token --city=nanjing --role=resident --sub=someone-else)" \
    enrollment.$call "{\"name\":\"$learner\"}" 2>&1) && fail "another resident's $call succeeded"
  grep -q "NOT_FOUND" <<<"$out" || fail "another resident's $call: $out"
done
out=$("$ctl" --network="$run/network.json" --city=nanjing --anonymous enrollment.ListEnrollments \
  "{\"offering\":\"$program/offerings/o1\"}" 2>&1) && fail "anonymous roster succeeded"
grep -q "UNAUTHENTICATED" <<<"$out" || fail "anonymous roster: $out"
[ "$("$ctl" --network="$run/network.json" --city=nanjing --anonymous catalog.SearchPrograms \
  '{"parent":"cities/nanjing","query":"书法"}' | grep -c '"name": "cities/nanjing/programs/')" -ge 1 ] \
  || fail "anonymous search of the public catalog failed"
"$ctl" --network="$run/network.json" --city=nanjing --token="$("$ctl" token --city=nanjing --role=resident --sub=e2e-resident)" \
  enrollment.EraseLearner "{\"name\":\"$learner\"}" | grep '"erased": true' >/dev/null || fail "a resident could not erase themself"
grep '"audit":true' "$run/nanjing/enrollment.log" | grep '"method":"gnlc.enrollment.v1.EnrollmentService/EraseLearner"' \
  | grep '"code":"OK"' >/dev/null || fail "no audit line for the erasure"
grep '"audit":true' "$run/nanjing/enrollment.log" | grep '"denied":"true"' >/dev/null || fail "no audit line for a denial"
if grep -q "$("$ctl" token --city=nanjing --role=resident --sub=e2e-resident | cut -d. -f1)\." "$run/nanjing/enrollment.log"; then
  fail "a token reached the log"
fi

# The demo's changes reach the city app's backend as notifications, and
# only its own: gnlcctl subscribe as that backend, and as another.
backend_token=$("$ctl" token --city=nanjing --role=mobile_backend --sub=nanjing-app)
out=$(timeout 20 "$ctl" --network="$run/network.json" --city=nanjing --token="$backend_token" \
  subscribe --replay --limit=1 2>/dev/null) || fail "gnlcctl subscribe as nanjing-app: $out"
grep -q '"type":"NOTIFICATION_TYPE_[A-Z_]*","time":"[^"]*","learner":"cities/nanjing/learners/' \
  <<<"$out" || fail "not a notification: $out"
cursor=$(sed -n 's/.*"cursor":"\([0-9-]*\)".*/\1/p' <<<"$out")
[ -n "$cursor" ] || fail "a notification without a cursor: $out"
out=$(timeout 20 "$ctl" --network="$run/network.json" --city=nanjing --token="$backend_token" \
  subscribe --cursor="$cursor" --limit=1 2>/dev/null) || fail "resuming after $cursor: $out"
[ "$(sed -n 's/.*"cursor":"\([0-9-]*\)".*/\1/p' <<<"$out")" != "$cursor" ] || fail "resume repeated $cursor"
out=$(timeout 20 "$ctl" --network="$run/network.json" --city=nanjing --token="$backend_token" \
  subscribe --backend=suzhou-app --limit=1 2>&1) && fail "a backend watched another's notifications"
grep -q "PERMISSION_DENIED" <<<"$out" || fail "another backend's stream: $out"

search() {  # search CITY QUERY -> total_size
  "$ctl" --network="$run/network.json" --city="$1" catalog.SearchPrograms \
    "{\"parent\":\"cities/$1\",\"query\":\"$2\"}" | grep -o '"total_size": [0-9]*' | grep -o '[0-9]*$' || echo 0
}
[ "$(search nanjing 书法)" -ge 1 ] || fail "nanjing: 书法 not found"
[ "$(search nanjing calligraphy)" -ge 1 ] || fail "nanjing: calligraphy not found"
[ "$(search suzhou 苏绣)" -ge 1 ] || fail "suzhou: 苏绣 not found"
[ "$(search suzhou embroidery)" -ge 1 ] || fail "suzhou: embroidery not found"
[ "$(search suzhou 云锦)" -eq 0 ] || fail "suzhou serves nanjing's programs"
if "$ctl" --network="$run/network.json" --city=suzhou catalog.SearchPrograms \
  '{"parent":"cities/nanjing"}' >/dev/null 2>&1; then
  fail "suzhou answered for cities/nanjing"
fi

# Federation: each city's network-wide search finds the other's programs,
# from its mirror, marked with their origin; writes to them are refused.
network_search() {  # network_search CITY QUERY -> the response
  "$ctl" --network="$run/network.json" --city="$1" catalog.SearchPrograms \
    "{\"parent\":\"cities/$1\",\"query\":\"$2\",\"scope\":\"SEARCH_SCOPE_NETWORK\"}"
}
network_search nanjing 苏绣 | grep '"origin_city": "suzhou"' >/dev/null || fail "nanjing's network search misses suzhou's 苏绣"
network_search nanjing 苏绣 | grep '"mirrored_as_of"' >/dev/null || fail "mirrored result without mirrored_as_of"
network_search suzhou 云锦 | grep '"origin_city": "nanjing"' >/dev/null || fail "suzhou's network search misses nanjing's 云锦"
# 镇湖 (Suzhou's embroidery town) is in Suzhou's demo only; Nanjing's demo
# history has an embroidery class of its own, so not 苏绣.
[ "$(search suzhou 镇湖)" -gt 0 ] || fail "suzhou's own search misses its 镇湖 workshop"
[ "$(search nanjing 镇湖)" -eq 0 ] || fail "nanjing's city-only search shows suzhou's programs"
for city in nanjing suzhou; do
  "$ctl" --network="$run/network.json" --city=$city peers | grep caught_up >/dev/null \
    || fail "$city's mirror is not caught up"
done
mirrored=$(network_search nanjing 苏绣 | grep -o '"name": "cities/suzhou/programs/[a-z0-9]*"' | head -1 | cut -d'"' -f4)
out=$("$ctl" --network="$run/network.json" --city=nanjing catalog.DeleteProgram "{\"name\":\"$mirrored\"}" 2>&1) \
  && fail "nanjing deleted suzhou's program"
echo "$out" | grep OWNED_BY_PEER >/dev/null || fail "writing a mirrored program: $out"

before=$(search nanjing '')
# The Python mobile-backend example (examples/python), a second gRPC
# implementation: TLS with the city's CA, a resident's token, search near a
# point, a learner and an enrollment, notifications resumed after a
# disconnect.
GNLC_RUN_DIR="$run" GNLC_BUILD_DIR="$build" "$src/examples/python/run.sh" nanjing gulou \
  >"$run/example.log" 2>&1 || { cat "$run/example.log"; fail "the Python example failed"; }
grep '^ok$' "$run/example.log" >/dev/null || { cat "$run/example.log"; fail "the Python example did not finish"; }

# The README's "One call" commands run as written, against this network
# (only the binary's path is this build's).
readme_calls=$(awk '/^## One call/{f=1} f&&/^```sh/{g=1;next} g&&/^```/{exit} g' "$src/README.md")
grep '^\$gnlcctl ' >/dev/null <<<"$readme_calls" || fail "the README has no One call block"
(set -e; cd "$src"; eval "$(sed "s|^gnlcctl=.*|gnlcctl='$ctl'|" <<<"$readme_calls")") \
  >"$run/readme.log" 2>&1 || { cat "$run/readme.log"; fail "a call of the README failed"; }
grep '"cities/nanjing/programs/' "$run/readme.log" >/dev/null || fail "the README's search found nothing"

"$src/deploy/local/up.sh" >"$run/up2.log" 2>&1 || { cat "$run/up2.log"; fail "second up.sh failed"; }
grep -q "already has programs" "$run/up2.log" || fail "second up.sh reloaded demo data"
[ "$(search nanjing '')" = "$before" ] || fail "second up.sh changed the catalog"
international=$("$ctl" --network="$run/network.json" --city=nanjing partnership.ListPartnerships \
  '{"parent":"cities/nanjing","member_city":"suzhou"}' | grep -c '"international": true')
[ "$international" = 1 ] || fail "second up.sh added partnerships ($international international)"

pids=$(cat "$run"/*/*.pid)
"$src/deploy/local/down.sh" >/dev/null
for pid in $pids; do
  if kill -0 "$pid" 2>/dev/null; then fail "process $pid still running after down.sh"; fi
done
echo "two-city network: PASS"
