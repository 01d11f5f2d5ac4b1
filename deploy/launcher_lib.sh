# Sourced by the two launchers, deploy/local/up.sh and deploy/compose/up.sh
# (through common.sh): what both do alike.

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds;
# no blind sleeps.
wait_for() {
  local deadline=$((SECONDS + $1)) what="$2"
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "timed out waiting for $what" >&2; return 1; fi
    sleep 0.1
  done
}

# The network file gnlcctl --city reads: {"nanjing": {"catalog": "127.0.0.1:PORT", ...}}.
# write_network_json FILE ADDRESS_OF: for every city in $cities and service
# in $services, `ADDRESS_OF CITY SERVICE` prints its address. Replaced
# atomically, so a reader never sees half a file.
write_network_json() {
  local file="$1" address_of="$2" city svc sep="" inner
  {
    printf '{'
    for city in "${cities[@]}"; do
      printf '%s\n  "%s": {' "$sep" "$city"
      inner=""
      for svc in "${services[@]}"; do
        printf '%s"%s": "%s"' "$inner" "$svc" "$("$address_of" "$city" "$svc")"
        inner=", "
      done
      printf '}'
      sep=","
    done
    printf '\n}\n'
  } >"$file.tmp"
  mv "$file.tmp" "$file"
}
