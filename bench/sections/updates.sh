# bench/run updates: worker position updates vs PostGIS UPDATE.
# Sourced by bench/run with its helpers (psql_, copy_in, best_time, results, figure, ratio,
# run_ours, ours[], want[], $data, $tmp, $bench, $here, $root). See bench/README.md.
log "updates: gridmap"
run_ours updates --moves "$moves"
run_ours updates_persisted --moves "$moves" --db "$tmp/positions.sqlite"
log "updates: PostGIS UPDATE ... FROM (3 runs)"
load_workers
upd_s=$(psql_ -f "$here/postgis/updates.sql" <"$data/updates.csv" | best_time)
pg_rate=$(awk -v n="$workers" -v s="$upd_s" 'BEGIN { printf "%.6f", n / s }')
figure updates "${ours[updates_rate]}" "$pg_rate" updates/s \
  "$(ratio "${ours[updates_rate]}" "$pg_rate")" %.0f
figure updates_persisted "${ours[updates_persisted_rate]}" "$pg_rate" updates/s \
  "$(ratio "${ours[updates_persisted_rate]}" "$pg_rate")" %.0f
