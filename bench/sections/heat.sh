# bench/run heat: cold heat map tiles vs PostGIS binning the same tile's points.
# Sourced by bench/run with its helpers (psql_, copy_in, best_time, results, figure, ratio,
# run_ours, ours[], want[], $data, $tmp, $bench, $here, $root). See bench/README.md.
# GRIDMAP_BENCH_PETITIONS: how many petitions (default 10,000,000).
petitions=${GRIDMAP_BENCH_PETITIONS:-10000000}
log "heat: generating $petitions petitions"
pets_csv=$("$bench" gen_petitions "$data" --petitions "$petitions" --seed "$seed") ||
  die "gridmap_bench gen_petitions failed"
log "heat: gridmap"
run_ours heat --csv "$pets_csv"
log "heat: loading PostGIS"
copy_in pets_raw "$pets_csv"
heat_build_s=$(psql_ -f "$here/postgis/load_petitions.sql" | best_time)
heat_bytes=$(psql_ -f "$here/postgis/heat_memory.sql")
for z in 8 11 14; do
  k=heat_z$z
  x0=${ours[${k}_x0]} y0=${ours[${k}_y0]} x1=${ours[${k}_x1]} y1=${ours[${k}_y1]}
  dx=$(awk -v a="$x0" -v b="$x1" 'BEGIN { printf "%.17g", (b - a) / 256 }')
  dy=$(awk -v a="$y0" -v b="$y1" 'BEGIN { printf "%.17g", (b - a) / 256 }')
  log "heat: PostGIS z$z (3 runs)"
  out=$(psql_ -v x0="$x0" -v y0="$y0" -v x1="$x1" -v y1="$y1" -v dx="$dx" -v dy="$dy" \
    -f "$here/postgis/heat.sql")
  pg_s=$(best_time <<<"$out")
  pg_rows=$(awk -F'|' '/^[0-9]+\|[0-9]+$/ { print }' <<<"$out" | sort -u)
  [[ $(wc -l <<<"$pg_rows") -eq 1 ]] || die "PostGIS gave different counts in its three runs"
  printf '# heat z%d tile over the busiest town: gridmap %d points; PostGIS %d points in %d non-empty bins of 256 x 256\n' \
    "$z" "${ours[${k}_points]}" "${pg_rows#*|}" "${pg_rows%|*}"
  pg_ms=$(awk -v s="$pg_s" 'BEGIN { printf "%.6f", s * 1000 }')
  figure "$k" "${ours[${k}_ms]}" "$pg_ms" ms "$(ratio "$pg_ms" "${ours[${k}_ms]}")" %.3f
done
figure heat_build "${ours[heat_build_s]}" "$heat_build_s" s "$(ratio "$heat_build_s" "${ours[heat_build_s]}")" %.3f
ours_mb=$(awk -v b="${ours[heat_memory_bytes]}" 'BEGIN { printf "%.6f", b / 1048576 }')
pg_mb=$(awk -v b="$heat_bytes" 'BEGIN { printf "%.6f", b / 1048576 }')
figure heat_memory "$ours_mb" "$pg_mb" MB "$(ratio "$pg_mb" "$ours_mb")" %.1f
