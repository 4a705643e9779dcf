# bench/run knn: k nearest on-duty workers vs PostGIS <-> ORDER BY ... LIMIT.
# Sourced by bench/run with its helpers (psql_, copy_in, best_time, results, figure, ratio,
# run_ours, ours[], want[], $data, $tmp, $bench, $here, $root). See bench/README.md.
log "knn: gridmap"
run_ours knn --queries "$queries" --k 5
log "knn: loading PostGIS"
load_workers
if [[ -z ${want[pip]:-} ]]; then
  copy_in pts_raw "$data/points.csv"
  psql_ -v queries="$queries" -f "$here/postgis/load_points.sql" >&2
fi
log "knn: PostGIS <-> (3 runs)"
out=$(psql_ -f "$here/postgis/knn.sql")
knn_s=$(best_time <<<"$out")
answers=$(results <<<"$out" | sort -u)
[[ $answers == "${ours[knn_answers]}" ]] ||
  die "kNN answer counts differ: gridmap ${ours[knn_answers]}, PostGIS $answers"
pg_rate=$(awk -v n="$queries" -v s="$knn_s" 'BEGIN { printf "%.6f", n / s }')
figure knn "${ours[knn_rate]}" "$pg_rate" queries/s "$(ratio "${ours[knn_rate]}" "$pg_rate")" %.0f
