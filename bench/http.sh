#!/bin/bash
# HTTP throughput side by side: gridmap vs nginx on loopback, wrk as the client, same run.
# Prints one line per figure: name=<id> ours=<value> anchor=<value> unit=<unit> ratio=<ours/anchor>
# Usage: bench/http.sh [BUILD_DIR]   (needs wrk and nginx: scripts/setup installs both);
# `bench/run http` runs it on the Release build. http_fixed: /healthz vs nginx serving a file
# of the same bytes; http_locate: GET /api/v1/locate (authenticated) vs nginx serving a file
# with the bytes of that answer.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build}/gridmap
DURATION=${HTTP_BENCH_SECONDS:-8}
CONNECTIONS=${HTTP_BENCH_CONNECTIONS:-64}
WORK=$(mktemp -d /tmp/gridmap-http-bench.XXXXXX)
chmod 755 "$WORK"  # nginx's workers run as nobody and must read the files
chmod 755 "$WORK"  # nginx's workers run as nobody and must read the files
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$BIN" demo --db "$WORK/t.sqlite" --preset tatabu >/dev/null
TOKEN=$("$BIN" user add bench --role admin --db "$WORK/t.sqlite" | tail -1)
PORT=$(free_port)
"$BIN" serve --db "$WORK/t.sqlite" --listen "127.0.0.1:$PORT" --threads 2 --quiet >"$WORK/serve.out" 2>"$WORK/serve.err" &
PIDS+=($!)
for _ in $(seq 100); do grep -q serving "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done

# nginx serving a file with exactly the bytes of our small fixed answer (/healthz).
FIXED=$(curl -s "http://127.0.0.1:$PORT/healthz")
printf '%s' "$FIXED" >"$WORK/healthz"
NPORT=$(free_port)
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  default_type application/json;
  server { listen 127.0.0.1:$NPORT; root $WORK; location / { try_files \$uri =404; } }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
PIDS+=($!)
sleep 0.5

# A point inside tatabu: the first household.
read -r LON LAT < <(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/households?limit=1" |
  python3 -c 'import json,sys; c=json.load(sys.stdin)["features"][0]["geometry"]["coordinates"]; print(c[0], c[1])')

# wrk prints "Requests/sec: N" and, with --latency, percentiles.
run() {  # url [header]
  local out
  if [ $# -gt 1 ]; then out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$2" "$1"); else out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1"); fi
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
  [ -n "$errors" ] && echo "bench/http.sh: $1 answered errors: $errors" >&2
  echo "$rps $p50 $p99 ${errors:+ERRORS}"
}

# nginx also serves a file with the bytes of the locate answer: the price of a static file
# of the same size is the anchor for the dynamic answer.
LOCATE_URL="/api/v1/locate?lon=$LON&lat=$LAT"
curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$LOCATE_URL" >"$WORK/locate.json"
grep -q '"grid":{' "$WORK/locate.json" || { echo "bench/http.sh: the locate answer has no grid" >&2; exit 2; }

read -r NG_RPS NG_P50 NG_P99 NG_ERR < <(run "http://127.0.0.1:$NPORT/healthz")
read -r FX_RPS FX_P50 FX_P99 FX_ERR < <(run "http://127.0.0.1:$PORT/healthz")
read -r NL_RPS NL_P50 NL_P99 NL_ERR < <(run "http://127.0.0.1:$NPORT/locate.json")
read -r LO_RPS LO_P50 LO_P99 LO_ERR < <(run "http://127.0.0.1:$PORT$LOCATE_URL" "Authorization: Bearer $TOKEN")
# A rate of error answers is no figure.
if [ -n "$NG_ERR$FX_ERR$NL_ERR$LO_ERR" ]; then
  echo "bench/http.sh: a server answered errors (see above); no figures" >&2
  exit 2
fi

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
echo "# gridmap --threads 2 vs nginx 1 worker; wrk 1 thread, $CONNECTIONS keep-alive connections, ${DURATION}s each; 2 cores shared by client and server"
echo "# latency p50/p99: nginx $NG_P50/$NG_P99 (fixed) $NL_P50/$NL_P99 (locate-sized file), gridmap fixed $FX_P50/$FX_P99, gridmap locate $LO_P50/$LO_P99 ${NG_ERR}${FX_ERR}${NL_ERR}${LO_ERR}"
echo "# targets: http_fixed ratio >= 0.9; http_locate >= 40000 req/s: $(python3 -c "print('met' if $LO_RPS >= 40000 else 'NOT met')")"
echo "name=http_fixed ours=$FX_RPS anchor=$NG_RPS unit=req/s ratio=$(ratio "$FX_RPS" "$NG_RPS")"
echo "name=http_locate ours=$LO_RPS anchor=$NL_RPS unit=req/s ratio=$(ratio "$LO_RPS" "$NL_RPS")"
