# bench/run backup: `gridmap backup` of the city preset (a consistent snapshot of a live
# database, compressed, hashed, with its attachments) vs `sqlite3 .backup` and `cp` of the
# stopped file; `gridmap restore` (which also verifies: integrity check, counts, audit chain)
# vs `cp` back; and the server's p99 latency on /api/v1/locate while a backup runs vs idle
# (wrk, 2 threads, 16 connections, 10 s). Sourced by bench/run (see bench/README.md).
gridmap=$root/build-bench/gridmap
city_dir=$here/.cache/backup-city
if [[ ! -f $city_dir/ready ]]; then
  log "backup: generating the city preset into $city_dir"
  rm -rf "$city_dir"
  mkdir -p "$city_dir"
  "$gridmap" demo --db "$city_dir/city.sqlite" --preset city >&2
  touch "$city_dir/ready"
fi
bk=$tmp/backup
mkdir -p "$bk"
seconds() {  # command...: its wall time in seconds
  local start end
  start=$(date +%s.%N)
  "$@" >"$bk/out" 2>"$bk/err" || { cat "$bk/err" >&2; die "backup: $1 failed"; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}
db=$city_dir/city.sqlite
sync
ours_s=$(seconds "$gridmap" backup --db "$db" --to "$bk/city.tar.gz")
sqlite_s=$(seconds sqlite3 "$db" ".backup '$bk/anchor.sqlite'")
cp_s=$(seconds cp "$db" "$bk/copy.sqlite")
printf '# backup: database %s MB, archive %s MB\n' "$(( $(stat -c %s "$db") / 1048576 ))" "$(( $(stat -c %s "$bk/city.tar.gz") / 1048576 ))"
figure backup_vs_sqlite_backup "$ours_s" "$sqlite_s" s "$(ratio "$sqlite_s" "$ours_s")" %.2f
figure backup_vs_cp "$ours_s" "$cp_s" s "$(ratio "$cp_s" "$ours_s")" %.2f
restore_s=$(seconds "$gridmap" restore "$bk/city.tar.gz" --db "$bk/restored.sqlite")
cp_back_s=$(seconds cp "$bk/copy.sqlite" "$bk/back.sqlite")
figure restore_vs_cp "$restore_s" "$cp_back_s" s "$(ratio "$cp_back_s" "$restore_s")" %.2f

# p99 of a cheap request while a backup runs, vs idle.
port=18499
cp "$db" "$bk/served.sqlite"
token=$("$gridmap" user add bench-backup --role admin --db "$bk/served.sqlite" --password-stdin <<<"bench-backup-pass" 2>/dev/null | tail -1)
"$gridmap" serve --db "$bk/served.sqlite" --listen 127.0.0.1:$port --quiet >"$bk/serve.out" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
p99() {  # wrk's 99th percentile, in ms
  wrk -t2 -c16 -d10s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/locate?lon=111.7&lat=40.8" |
    awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }'
}
idle=$(p99)
( sleep 1; "$gridmap" backup --db "$bk/served.sqlite" --to "$bk/live.tar.gz" >/dev/null 2>&1 ) &
backup=$!
busy=$(p99)
wait "$backup" || true
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
printf '# backup: p99 of locate idle %s ms, while a backup runs %s ms\n' "$idle" "$busy"
figure backup_p99_locate "$busy" "$idle" ms "$(ratio "$idle" "$busy")" %.2f
