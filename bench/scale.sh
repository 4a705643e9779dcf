#!/bin/bash
# API throughput of the office mix (bench/scale_mix.lua: a case reported, registered and
# dispatched, four point-in-grid lookups, two pages of the case list) on the `city` demo:
#   SpatiaLite, one server  |  PostgreSQL, one server  |  PostgreSQL, two servers behind nginx
# in one run, wrk as the client. Both engines durable: SQLite synchronous=FULL, PostgreSQL
# fsync and synchronous_commit on (its own cluster, not bench/run's throwaway one).
# Also the CPU each request costs in gridmap and in PostgreSQL (from /proc), for the estimate
# of bigger layouts. Prints `#` lines and name=... ours=... anchor=... unit=... ratio=... lines.
# Usage: bench/scale.sh [BUILD_DIR]   (as root; needs wrk, nginx and PostgreSQL 15 + PostGIS)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
BIN=${1:-build}/gridmap
DURATION=${SCALE_BENCH_SECONDS:-15}
CONNECTIONS=${SCALE_BENCH_CONNECTIONS:-8}
PRESET=${SCALE_BENCH_PRESET:-city}
pgbin=/usr/lib/postgresql/15/bin
WORK=$(mktemp -d /tmp/gridmap-scale-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=()
log() { echo "bench/scale.sh: $*" >&2; }
stop_servers() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  PIDS=()
}
cleanup() {
  stop_servers
  [ -f "$WORK/nginx.pid" ] && kill -QUIT "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  if [ -f "$WORK/pg/postmaster.pid" ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
[ "$(id -u)" = 0 ] || { log "run as root (PostgreSQL runs as the postgres user)"; exit 2; }

# ---- the data: the demo city in a file, then copied to PostgreSQL ---------------------------------
log "making the $PRESET demo"
"$BIN" demo --db "$WORK/city.sqlite" --preset "$PRESET" >/dev/null 2>&1
chown postgres: "$WORK"
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$password" >"$WORK/pwfile"
chown postgres: "$WORK/pwfile"
runuser -u postgres -- "$pgbin/initdb" -D "$WORK/pg" -U postgres --pwfile="$WORK/pwfile" \
  --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
rm -f "$WORK/pwfile"
PGPORT=$(free_port)
runuser -u postgres -- "$pgbin/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
  -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=512MB" \
  start >/dev/null
runuser -u postgres -- "$pgbin/psql" -X -q -h "$WORK" -p "$PGPORT" -U postgres -d postgres \
  -c "CREATE DATABASE scale" >/dev/null
runuser -u postgres -- "$pgbin/psql" -X -q -h "$WORK" -p "$PGPORT" -U postgres -d scale \
  -c "CREATE EXTENSION postgis" >/dev/null
PG="postgresql://postgres:$password@127.0.0.1:$PGPORT/scale"
mkdir -p "$WORK/files/audit" "$WORK/files-sqlite"
export GRIDMAP_AUDIT_DIR="$WORK/files/audit"
log "copying it to PostgreSQL"
"$BIN" migrate --from "spatialite:$WORK/city.sqlite" --to "$PG" >/dev/null
TOKEN=$("$BIN" user add bench --role admin --db "$WORK/city.sqlite" | tail -1)
PG_TOKEN=$("$BIN" user add bench --role admin --db "$PG" | tail -1)

# ---- runs ---------------------------------------------------------------------------------------
serve() {  # db files port
  "$BIN" serve --db "$1" --files "$2" --listen "127.0.0.1:$3" --threads 2 --quiet \
    --trusted-proxy 127.0.0.1 >"$WORK/serve-$3.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$3/healthz" >/dev/null && return 0; sleep 0.1; done
  log "the server on $3 did not start"; cat "$WORK/serve-$3.log" >&2; exit 2
}
cpu_ticks() {  # pids...: utime + stime of these processes
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}
pg_pids() { pgrep -u postgres -d ' ' postgres || true; }
pg_ticks() {  # every postgres process, and what finished backends left in the postmaster's children times
  local t=0 p
  for p in $(pg_pids); do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat"))); done
  echo "$t"
}
# wrk with the mix against URL; prints "RPS GRIDMAP_CPU_MS_PER_REQ PG_CPU_MS_PER_REQ".
measure() {  # url token lon lat
  local out rps errors g0 g1 p0 p1 requests hz
  hz=$(getconf CLK_TCK)
  # Warm up (caches, prepared statements), then measure.
  TOKEN=$2 LON=$3 LAT=$4 wrk -t"$CONNECTIONS" -c"$CONNECTIONS" -d3s -s bench/scale_mix.lua "$1" >/dev/null
  g0=$(cpu_ticks "${PIDS[@]}"); p0=$(pg_ticks)
  out=$(TOKEN=$2 LON=$3 LAT=$4 wrk -t"$CONNECTIONS" -c"$CONNECTIONS" -d"${DURATION}s" -s bench/scale_mix.lua "$1")
  g1=$(cpu_ticks "${PIDS[@]}"); p1=$(pg_ticks)
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
  if [ -n "$errors" ]; then log "$1 answered errors: $errors"; echo "$out" >&2; exit 2; fi
  python3 -c "print($rps, round(($g1-$g0)*1000/$hz/$requests, 3), round(($p1-$p0)*1000/$hz/$requests, 3))"
}

point_of() {  # port token: a household's position, the middle of the mix's lookups
  curl -s -H "Authorization: Bearer $2" "http://127.0.0.1:$1/api/v1/households?limit=1" |
    python3 -c 'import json,sys; c=json.load(sys.stdin)["features"][0]["geometry"]["coordinates"]; print(c[0], c[1])'
}

# SpatiaLite, one server.
P1=$(free_port)
serve "$WORK/city.sqlite" "$WORK/files-sqlite" "$P1"
read -r LON LAT < <(point_of "$P1" "$TOKEN")
log "SpatiaLite, one server"
read -r SQ_RPS SQ_CPU SQ_PG < <(measure "http://127.0.0.1:$P1" "$TOKEN" "$LON" "$LAT")
stop_servers

# PostgreSQL, one server.
P2=$(free_port)
serve "$PG" "$WORK/files" "$P2"
log "PostgreSQL, one server"
read -r PG1_RPS PG1_CPU PG1_PG < <(measure "http://127.0.0.1:$P2" "$PG_TOKEN" "$LON" "$LAT")

# PostgreSQL, two servers behind nginx (the first one still running).
P3=$(free_port)
serve "$PG" "$WORK/files" "$P3"
NPORT=$(free_port)
cat >"$WORK/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream gridmap { server 127.0.0.1:$P2; server 127.0.0.1:$P3; keepalive 32; }
  server {
    listen 127.0.0.1:$NPORT;
    location / {
      proxy_pass http://gridmap;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK"
sleep 0.5
log "PostgreSQL, two servers behind nginx"
read -r PG2_RPS PG2_CPU PG2_PG < <(measure "http://127.0.0.1:$NPORT" "$PG_TOKEN" "$LON" "$LAT")
# nginx's own share, measured alone on the same path: one server behind it.
stop_servers
kill -QUIT "$(cat "$WORK/nginx.pid")"
rm -f "$WORK/nginx.pid"

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
echo "# office mix per 9 requests: report + register + dispatch (If-Match), 4 x locate, 2 x case list (limit 50); wrk $CONNECTIONS connections, ${DURATION}s per run, $(nproc) cores shared by wrk, nginx, gridmap and PostgreSQL"
echo "# CPU per request (ms): SpatiaLite gridmap $SQ_CPU; PostgreSQL 1 server: gridmap $PG1_CPU + postgres $PG1_PG; 2 servers: gridmap $PG2_CPU + postgres $PG2_PG"
echo "name=scale_engine_sqlite_vs_pg ours=$SQ_RPS anchor=$PG1_RPS unit=req/s ratio=$(ratio "$SQ_RPS" "$PG1_RPS")"
echo "name=scale_pg_two_vs_one_server ours=$PG2_RPS anchor=$PG1_RPS unit=req/s ratio=$(ratio "$PG2_RPS" "$PG1_RPS")"
