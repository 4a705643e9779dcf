# bench/run http: the HTTP server vs nginx on loopback with wrk (bench/http.sh) on the
# Release build; needs no PostgreSQL, runs here for one command and one lock.
log "http: gridmap vs nginx with wrk"
"$here/http.sh" "$root/build-bench" || die "bench/http.sh failed"
