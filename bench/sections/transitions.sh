# bench/run transitions: petitions moved through the whole lifecycle (six moves each) by
# data::PetitionService, one transaction per move, SQLite WAL with synchronous=FULL, vs the
# same moves in PostgreSQL, one transaction each (the version-checked UPDATE and the event
# INSERT) sent by psql over loopback, with fsync and synchronous_commit turned on for the
# run (the bench cluster runs without them otherwise). Both sides wait for the disk.
# Sourced by bench/run with its helpers. GRIDMAP_BENCH_TRANSITIONS petitions (default 2000).
count=${GRIDMAP_BENCH_TRANSITIONS:-2000}
log "transitions: gridmap ($count petitions, $((count * 6)) moves)"
run_ours transitions --moves "$count" --db "$tmp/transitions.sqlite" --out "$tmp/transitions"
log "transitions: PostgreSQL"
psql_ -v count="$count" -f "$here/postgis/transitions_load.sql" >&2
psql_ -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" -c "SELECT pg_reload_conf()" >/dev/null
start=$(date +%s.%N)
psql_ -f "$tmp/transitions/transitions.sql" >/dev/null
end=$(date +%s.%N)
psql_ -c "ALTER SYSTEM RESET fsync" -c "ALTER SYSTEM RESET synchronous_commit" -c "SELECT pg_reload_conf()" >/dev/null
moved=$(psql_ -c "SELECT count(*) FROM bench_events")
[[ $moved == "${ours[transitions_count]%.*}" ]] || die "transitions: PostgreSQL made $moved moves, gridmap ${ours[transitions_count]}"
pg_rate=$(awk -v n="$moved" -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", n / (b - a) }')
figure transitions "${ours[transitions_rate]}" "$pg_rate" moves/s \
  "$(ratio "${ours[transitions_rate]}" "$pg_rate")" %.0f
