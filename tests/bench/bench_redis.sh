# Sourced by the benchmark scripts: start_redis BASE_PORT DATA_DIR CITY_PKI
# starts a redis-server on the first free port from BASE_PORT with AOF
# everysec, its data in DATA_DIR and the city's Redis users
# (CITY_PKI/redis/users.acl, as in production); sets rport and defines rcli
# (redis-cli as Redis's admin user).
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_redis() {
  rport=$1
  redis_admin_password_file="$3/redis/admin.password"
  while ! port_free "$rport"; do rport=$((rport + 1)); done
  redis-server --port "$rport" --bind 127.0.0.1 --dir "$2" --appendonly yes \
    --appendfsync everysec --save "" --daemonize yes --logfile "$2/redis.log" \
    --pidfile "$2/redis.pid" --aclfile "$3/redis/users.acl" \
    --zset-max-listpack-entries 256 --hash-max-listpack-value 256
  until rcli ping >/dev/null 2>&1; do sleep 0.05; done
}
rcli() {
  redis-cli -p "$rport" --user admin --pass "$(cat "$redis_admin_password_file")" \
    --no-auth-warning "$@"
}
