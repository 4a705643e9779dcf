# bench/run hotspots: Gi* + FDR for all grids and the shared-border neighbour build, vs
# the same Gi* in PostGIS SQL over a neighbour table from an ST_Relate self-join.
# Sourced by bench/run with its helpers (psql_, copy_in, best_time, results, figure, ratio,
# run_ours, ours[], want[], $data, $tmp, $bench, $here, $root, $seed). See bench/README.md.
log "hotspots: gridmap"
counts_csv=$tmp/hotspot_counts.csv
run_ours hotspots --seed "$seed" --db "$counts_csv"
chmod a+r "$counts_csv"
log "hotspots: loading PostGIS"
if [[ $(psql_ -c "SELECT to_regclass('grids') IS NULL") == t ]]; then
  copy_in grids_raw "$data/grids.csv"
  psql_ -f "$here/postgis/load_grids.sql" >&2
fi
psql_ -c "CREATE INDEX IF NOT EXISTS grids_geom_gist ON grids USING gist (geom)" >&2
psql_ -c "VACUUM ANALYZE grids" >&2
psql_ -c "SET client_min_messages = warning; DROP TABLE IF EXISTS c, nb, nb2" >&2
psql_ -c "CREATE TABLE c (id integer PRIMARY KEY, x double precision NOT NULL)" >&2
copy_in c "$counts_csv"
log "hotspots: PostGIS neighbour self-join (1 run)"
out=$(psql_ -f "$here/postgis/hotspots_neighbours.sql")
nb_s=$(best_time <<<"$out")
pairs=$(results <<<"$out")
log "hotspots: PostGIS Gi* (3 runs)"
out=$(psql_ -f "$here/postgis/hotspots_gistar.sql")
gi_s=$(best_time <<<"$out")
pg_check=$(grep -E '^[0-9]+\|' <<<"$out" | sort -u)
printf '# hotspots check: neighbour pairs gridmap %d, PostGIS %d; GEOS and edge matching differ for %d of the first %d grids; hot grids gridmap %d, PostGIS %s (hot|sum |z|; gridmap sum |z| %.3f)\n' \
  "${ours[gistar_pairs]}" "$pairs" "${ours[gistar_geos_differ]}" "${ours[gistar_geos_checked]}" "${ours[gistar_hot]}" "$pg_check" "${ours[gistar_abs_z_sum]}"
[[ ${ours[gistar_pairs]} == "$pairs" ]] || log "hotspots: WARNING: neighbour pair counts differ"
figure gistar "${ours[gistar_s]}" "$gi_s" s "$(ratio "$gi_s" "${ours[gistar_s]}")" %.5f
figure gistar_neighbours "${ours[gistar_neighbours_s]}" "$nb_s" s \
  "$(ratio "$nb_s" "${ours[gistar_neighbours_s]}")" %.3f
