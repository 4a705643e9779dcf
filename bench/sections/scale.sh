# bench/run scale: API throughput of the office mix with one and two servers on one PostgreSQL,
# and SpatiaLite vs PostgreSQL on one server (bench/scale.sh, its own durable cluster).
log "scale: one and two servers on PostgreSQL, SpatiaLite vs PostgreSQL"
"$here/scale.sh" "$root/build-bench" || die "bench/scale.sh failed"
