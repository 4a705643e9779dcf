# bench/run pip: batch point-in-grid vs PostGIS ST_Intersects join and a GEOS baseline.
# Sourced by bench/run with its helpers (psql_, copy_in, best_time, results, figure, ratio,
# run_ours, ours[], want[], $data, $tmp, $bench, $here, $root). See bench/README.md.
log "pip: gridmap"
run_ours pip
log "pip: loading PostGIS"
copy_in grids_raw "$data/grids.csv"
copy_in pts_raw "$data/points.csv"
psql_ -f "$here/postgis/load_grids.sql" >&2
psql_ -v queries="$queries" -f "$here/postgis/load_points.sql" >&2
log "pip: PostGIS CREATE INDEX"
build_s=$(psql_ -f "$here/postgis/pip_build.sql" | best_time)
log "pip: PostGIS ST_Intersects join (3 runs)"
out=$(psql_ -f "$here/postgis/pip.sql")
pip_s=$(best_time <<<"$out")
rows=$(results <<<"$out" | sort -u)
[[ $(wc -l <<<"$rows") -eq 1 ]] || die "PostGIS gave different counts in its three runs"
bytes=$(psql_ -f "$here/postgis/pip_memory.sql")

printf '# pip check: points in a grid: gridmap %d, GEOS %d (%d answers differ); PostGIS ST_Intersects join rows %d = %d points + %d extra rows for the %d points on boundaries, counted once per grid they touch; gridmap (point, grid) pairs incl. boundaries %d (difference %d)\n' \
  "${ours[pip_inside]}" "${ours[pip_geos_inside]}" "${ours[pip_geos_differ]}" "$rows" \
  "${ours[pip_inside]}" "$((rows - ours[pip_inside]))" "${ours[pip_on_edge]}" \
  "${ours[pip_memberships]}" "$((rows - ours[pip_memberships]))"
pg_rate=$(awk -v n="$points" -v s="$pip_s" 'BEGIN { printf "%.6f", n / s }')
figure pip "${ours[pip_rate]}" "$pg_rate" points/s "$(ratio "${ours[pip_rate]}" "$pg_rate")" %.0f
figure pip_geos "${ours[pip_rate]}" "${ours[pip_geos_rate]}" points/s \
  "$(ratio "${ours[pip_rate]}" "${ours[pip_geos_rate]}")" %.0f
figure pip_build "${ours[pip_build_s]}" "$build_s" s "$(ratio "$build_s" "${ours[pip_build_s]}")" %.3f
ours_mb=$(awk -v b="${ours[pip_memory_bytes]}" 'BEGIN { printf "%.6f", b / 1048576 }')
pg_mb=$(awk -v b="$bytes" 'BEGIN { printf "%.6f", b / 1048576 }')
figure pip_memory "$ours_mb" "$pg_mb" MB "$(ratio "$pg_mb" "$ours_mb")" %.1f
