# bench/run kpi: KPIs per grid over one year of the city demo preset (data::petition_stats,
# what GET /api/v1/stats?level=grid&from=&to= runs) vs the same definitions in one
# PostgreSQL query (bench/postgis/kpi.sql) over the same rows; both answers are compared.
# Sourced by bench/run with its helpers (psql_, copy_in, best_time, results, figure, ratio,
# run_ours, ours[], want[], $data, $tmp, $bench, $here, $root). See bench/README.md.
gridmap=$root/build-bench/gridmap
city_dir=$here/.cache/city-s1
city=$city_dir/city.sqlite
if [[ ! -f $city_dir/ready ]]; then
  log "kpi: generating the city demo preset into $city_dir"
  rm -rf "$city_dir"
  mkdir -p "$city_dir"
  "$gridmap" demo --db "$city" --preset city --seed 1 >&2
  (umask 077 && "$gridmap" user add bench --role admin --db "$city" | tail -1 >"$city_dir/token")
  touch "$city_dir/ready"
fi
kpi=$tmp/kpi
mkdir -p "$kpi"
log "kpi: gridmap (3 runs)"
run_ours kpi --db "$city" --out "$kpi"
chmod -R a+r "$kpi"
log "kpi: loading PostgreSQL"
psql_ -f "$here/postgis/kpi_load.sql" >&2
copy_in kpi_petitions "$kpi/petitions.csv"
copy_in kpi_events "$kpi/events.csv"
copy_in kpi_followups "$kpi/followups.csv"
copy_in kpi_days "$kpi/days.csv"
copy_in kpi_periods "$kpi/periods.csv"
psql_ -f "$here/postgis/kpi_index.sql" >&2
log "kpi: PostgreSQL (3 runs)"
out=$(psql_ -v from="${ours[kpi_from]}" -v to="${ours[kpi_to]}" -v now="${ours[kpi_now]}" \
  -v ds="${ours[kpi_day_seconds]}" -f "$here/postgis/kpi.sql")
pg_s=$(best_time <<<"$out")
grep -E '^[^|]+(\|[^|]*){10}$' <<<"$out" | sort -u >"$kpi/pg.csv"
sort "$kpi/ours.csv" >"$kpi/ours.sorted"
# Counts must be equal, hours within 1e-5 (gridmap sums doubles, PostgreSQL numerics).
differ=$(awk -F'|' 'NR == FNR { a[$1] = $0; next }
  { if (!($1 in a)) { bad++; next } split(a[$1], o, "|"); seen[$1] = 1
    for (i = 2; i <= 9; i++) if (o[i] != $i) { bad++; next }
    for (i = 10; i <= 11; i++) { d = o[i] - $i; if (d < 0) d = -d; if (d > 1e-5) { bad++; next } } }
  END { for (k in a) if (!(k in seen)) bad++; print bad + 0 }' "$kpi/ours.sorted" "$kpi/pg.csv")
sums() { awk -F'|' '{ due += $2; closed += $3; ontime += $4; overdue += $9 } END { printf "due %d, closed %d, on time %d, overdue now %d", due, closed, ontime, overdue }' "$1"; }
printf '# kpi check: %d grids; gridmap %s; PostgreSQL %d grids, %s; %d grids differ; year %s to %s\n' \
  "$(wc -l <"$kpi/ours.sorted")" "$(sums "$kpi/ours.sorted")" "$(wc -l <"$kpi/pg.csv")" "$(sums "$kpi/pg.csv")" \
  "$differ" "$(date -u -d "@${ours[kpi_from]%.*}" +%FT%TZ)" "$(date -u -d "@${ours[kpi_to]%.*}" +%FT%TZ)"
[[ $differ == 0 ]] || log "kpi: WARNING: gridmap and PostgreSQL disagree on $differ grids (see $kpi)"
figure kpi "${ours[kpi_s]}" "$pg_s" s "$(ratio "$pg_s" "${ours[kpi_s]}")" %.4f
