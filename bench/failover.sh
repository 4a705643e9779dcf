#!/bin/bash
# The primary lost under write load, on deploy/loopback's layout (nginx, two servers, a primary
# and a hot standby): two writers report cases through nginx as fast as curl goes, the primary is
# killed (kill -9), the standby promoted; then every acknowledged write is looked for on the new
# primary. Prints what was acknowledged, lost and stored twice, and how long writes were refused.
# Usage: bench/failover.sh [--async] [ROUNDS]   (as root; --async: asynchronous replication,
# where the last moments before the loss may be missing on the standby)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
[ "$mode" = --async ] && shift || mode=""
rounds=${1:-3}
for round in $(seq "$rounds"); do
  work=$(mktemp -d /tmp/gridmap-failover.XXXXXX)
  chmod 755 "$work"  # PostgreSQL runs as the postgres user
  dir=$work/layout
  trap 'deploy/loopback stop "$dir" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  deploy/loopback start "$dir" --servers 2 $mode >&2
  # shellcheck source=/dev/null
  . "$dir/env"
  writer() {
    local n=0 code
    while [ ! -f "$work/stop" ]; do
      n=$((n + 1))
      code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $DISPATCHER_TOKEN" -H "Content-Type: application/json" \
        -d "{\"lon\":111.5005,\"lat\":40.7005,\"category\":\"noise\",\"description\":\"fo-$1-$n\"}" \
        "http://127.0.0.1:$NGINX_PORT/api/v1/petitions" || true)
      if [ "$code" = 201 ]; then echo "fo-$1-$n" >>"$work/acked"; else echo "$(date +%s.%N)" >>"$work/refused"; fi
    done
  }
  writer 1 & w1=$!
  writer 2 & w2=$!
  sleep 3
  deploy/loopback kill-primary "$dir"
  sleep 0.3
  deploy/loopback promote "$dir"
  sleep 4
  touch "$work/stop"
  wait "$w1" "$w2"
  stored=$(psql -X -At "$DB_URL" -c "SELECT description FROM petitions WHERE description LIKE 'fo-%'" | sort)
  acked=$(sort "$work/acked")
  lost=$(comm -23 <(echo "$acked") <(echo "$stored" | sort -u) | grep -c . || true)
  twice=$(echo "$stored" | uniq -d | grep -c . || true)
  refused=$(grep -c . "$work/refused" 2>/dev/null || echo 0)
  span=$(awk 'NR==1 {a=$1} {b=$1} END {if (NR) printf "%.2f", b - a; else print 0}' "$work/refused" 2>/dev/null || echo 0)
  echo "round $round (${mode:-synchronous}): $(echo "$acked" | grep -c .) acknowledged, $lost lost, $twice stored twice, $refused refused over ${span} s"
  deploy/loopback stop "$dir" >/dev/null 2>&1 || true
  rm -rf "$work"
  trap - EXIT
done
