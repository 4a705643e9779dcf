# bench/run mvt: grids vector tiles vs PostGIS ST_AsMVT, cached tiles over HTTP vs nginx,
# MBTiles export vs ogr2ogr -f MVT. All on the `city` demo preset (seed 1), generated once
# into bench/.cache/city-s1/.
# Sourced by bench/run with its helpers (psql_, copy_in, best_time, results, figure, ratio,
# run_ours, ours[], want[], $data, $tmp, $bench, $here, $root). See bench/README.md.
gridmap=$root/build-bench/gridmap
city_dir=$here/.cache/city-s1
city=$city_dir/city.sqlite
if [[ ! -f $city_dir/ready ]]; then
  log "mvt: generating the city demo preset into $city_dir"
  rm -rf "$city_dir"
  mkdir -p "$city_dir"
  "$gridmap" demo --db "$city" --preset city --seed 1 >&2
  # An admin for the HTTP figure; the token only ever opens this throwaway file.
  (umask 077 && "$gridmap" user add bench --role admin --db "$city" | tail -1 >"$city_dir/token")
  touch "$city_dir/ready"
fi
mvt=$tmp/mvt
mkdir -p "$mvt/ours" "$mvt/pg"

# ---- cold tiles: gridmap in-process vs PostGIS ST_AsMVT ---------------------------------------
log "mvt: gridmap cold grids tiles"
run_ours mvt --db "$city" --out "$mvt/ours"
log "mvt: loading the grids into PostGIS"
run_ours mvt_grids --db "$city" --out "$mvt/grids.csv"
copy_in grids_mvt_raw "$mvt/grids.csv"
psql_ -f "$here/postgis/load_grids_mvt.sql" >&2

tile_sql() {  # z x y: the tile as PostGIS users write it
  printf "SELECT ST_AsMVT(q, 'grids', 4096, 'geom', 'id') FROM (SELECT code::bigint AS id, code, name, worker, households, ST_AsMVTGeom(geom, ST_TileEnvelope(%d, %d, %d), 4096, 64, true) AS geom FROM grids_mvt WHERE geom && ST_TileEnvelope(%d, %d, %d, margin => 64.0 / 4096)) q" \
    "$1" "$2" "$3" "$1" "$2" "$3"
}
tile_sql_4326() {  # z x y: the tile as pg_tileserv or Martin make it from an EPSG:4326 table
  printf "SELECT ST_AsMVT(q, 'grids', 4096, 'geom', 'id') FROM (SELECT code::bigint AS id, code, name, worker, households, ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%d, %d, %d), 4096, 64, true) AS geom FROM grids_mvt_4326 WHERE geom && ST_Transform(ST_TileEnvelope(%d, %d, %d, margin => 64.0 / 4096), 4326)) q" \
    "$1" "$2" "$3" "$1" "$2" "$3"
}
pg_tiles() {  # z sql-function suffix: PostGIS's mean ms per tile over the zoom's tiles; the figure
  local z=$1 make_sql=$2 suffix=$3 t tz tx ty sql s counts f v pg_total=0 pg_features=0 pg_vertices=0 n=0
  local out=$mvt/pg$suffix
  mkdir -p "$out"
  log "mvt: PostGIS${suffix:+ ($suffix)} z$z tiles ${ours[mvt_z${z}_tiles]} (3 runs each)"
  for t in ${ours[mvt_z${z}_tiles]}; do
    IFS=/ read -r tz tx ty <<<"$t"
    sql=$("$make_sql" "$tz" "$tx" "$ty")
    s=$(printf '\\timing on\nSELECT length((%s));\nSELECT length((%s));\nSELECT length((%s));\n' \
      "$sql" "$sql" "$sql" | psql_ | best_time)
    psql_ -c "SELECT encode(($sql), 'hex')" |
      python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' \
        >"$out/$tz-$tx-$ty.mvt"
    counts=$("$bench" mvt_count "$out/$tz-$tx-$ty.mvt")
    f=$(awk -F= '$1 == "features" { print $2 }' <<<"$counts")
    v=$(awk -F= '$1 == "vertices" { print $2 }' <<<"$counts")
    log "mvt: PostGIS${suffix:+ ($suffix)} $t $(awk -v s="$s" 'BEGIN { printf "%.3f", s * 1000 }') ms, $(stat -c %s "$out/$tz-$tx-$ty.mvt") bytes, $f features, $v vertices"
    pg_total=$(awk -v a="$pg_total" -v b="$s" 'BEGIN { printf "%.9f", a + b }')
    pg_features=$((pg_features + f)) pg_vertices=$((pg_vertices + v)) n=$((n + 1))
  done
  pg_ms=$(awk -v s="$pg_total" -v n="$n" 'BEGIN { printf "%.6f", s / n * 1000 }')
  printf '# mvt_z%d%s: %d tiles (%s); features/vertices in all of them: gridmap grids %d/%d + grids_label %d points, PostGIS grids %d/%d\n' \
    "$z" "$suffix" "$n" "${ours[mvt_z${z}_tiles]}" "${ours[mvt_z${z}_grids_features]:-0}" \
    "${ours[mvt_z${z}_grids_vertices]:-0}" "${ours[mvt_z${z}_grids_label_features]:-0}" \
    "$pg_features" "$pg_vertices"
  figure "mvt_z$z$suffix" "${ours[mvt_z${z}_ms]}" "$pg_ms" ms "$(ratio "$pg_ms" "${ours[mvt_z${z}_ms]}")" %.3f
}
for z in 10 12 14 16; do
  pg_tiles "$z" tile_sql ""
done
# The same tiles from the EPSG:4326 table, as tile servers commonly deploy PostGIS.
for z in 10 12 14 16; do
  pg_tiles "$z" tile_sql_4326 _4326
done

# ---- a cached tile over HTTP: gridmap serve vs nginx serving the same bytes -----------------------
mvt_pids=()
mvt_stop() {
  local p
  for p in "${mvt_pids[@]:-}"; do [[ -n $p ]] && kill "$p" 2>/dev/null || true; done
  for p in "${mvt_pids[@]:-}"; do [[ -n $p ]] && wait "$p" 2>/dev/null || true; done
  mvt_pids=()
}
trap 'rc=$?; mvt_stop; (exit $rc); cleanup' EXIT
http_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
seconds=${HTTP_BENCH_SECONDS:-8}
connections=${HTTP_BENCH_CONNECTIONS:-64}
token=$(cat "$city_dir/token")
gport=$(http_port)
"$gridmap" serve --db "$city" --listen "127.0.0.1:$gport" --threads 2 --quiet \
  >"$mvt/serve.out" 2>"$mvt/serve.err" &
mvt_pids+=($!)
for _ in $(seq 300); do grep -q serving "$mvt/serve.out" 2>/dev/null && break; sleep 0.1; done
grep -q serving "$mvt/serve.out" || die "mvt: gridmap serve did not start: $(tail -3 "$mvt/serve.err")"
read -r http_tile _ <<<"${ours[mvt_z14_tiles]}"
url_path=/tiles/grids/$http_tile.mvt
mkdir -p "$mvt/www/tiles/grids/${http_tile%/*}"
# The first request builds and caches the tile; its gzip bytes are what nginx serves.
curl -sf -H "Authorization: Bearer $token" -H 'Accept-Encoding: gzip' \
  -D "$mvt/headers" -o "$mvt/www$url_path" "http://127.0.0.1:$gport$url_path" ||
  die "mvt: GET $url_path failed"
grep -qi '^content-encoding: gzip' "$mvt/headers" || die "mvt: the tile did not come gzip-compressed"
nport=$(http_port)
cat >"$mvt/nginx.conf" <<CONF
user root;
worker_processes 1;
daemon off;
pid $mvt/nginx.pid;
error_log $mvt/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  default_type application/vnd.mapbox-vector-tile;
  server {
    listen 127.0.0.1:$nport;
    root $mvt/www;
    location / { add_header Content-Encoding gzip; add_header Cache-Control "no-cache"; try_files \$uri =404; }
  }
}
CONF
nginx -c "$mvt/nginx.conf" -p "$mvt" &
mvt_pids+=($!)
sleep 0.5
curl -sf -o "$mvt/nginx.bin" "http://127.0.0.1:$nport$url_path" || die "mvt: nginx did not serve the tile"
cmp -s "$mvt/nginx.bin" "$mvt/www$url_path" || die "mvt: nginx served other bytes"
wrk_rate() {  # url: requests/s, with our two headers on every request
  local out
  out=$(wrk -t1 -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $token" \
    -H 'Accept-Encoding: gzip' "$1")
  grep -qE 'Non-2xx|Socket errors' <<<"$out" && log "mvt: wrk reported errors for $1: $(grep -E 'Non-2xx|Socket errors' <<<"$out")"
  log "mvt: $1: $(awk '/Requests\/sec/ { r = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } END { print r " req/s, p50 " p50 ", p99 " p99 }' <<<"$out")"
  awk '/Requests\/sec/ { print $2 }' <<<"$out"
}
log "mvt: cached $url_path over HTTP, wrk 1 thread, $connections connections, ${seconds}s each"
ng_rps=$(wrk_rate "http://127.0.0.1:$nport$url_path")
gm_rps=$(wrk_rate "http://127.0.0.1:$gport$url_path")
mvt_stop
trap cleanup EXIT
printf '# mvt_cached_http: GET %s (%d bytes gzip), gridmap serve --threads 2 vs nginx 1 worker, wrk 1 thread, %d keep-alive connections, %ss each, 2 cores shared by client and servers\n' \
  "$url_path" "$(stat -c %s "$mvt/www$url_path")" "$connections" "$seconds"
figure mvt_cached_http "$gm_rps" "$ng_rps" req/s "$(ratio "$gm_rps" "$ng_rps")" %.0f

# ---- MBTiles export: gridmap tiles export vs ogr2ogr -f MVT ------------------------------------------
minzoom=${GRIDMAP_BENCH_MVT_MINZOOM:-10}
maxzoom=${GRIDMAP_BENCH_MVT_MAXZOOM:-16}
# GDAL reads the same grids with the same attributes, already in EPSG:3857, from a GeoPackage.
printf '"String","String","String","Integer64","WKT"\n' >"$mvt/grids.csvt"
ogr2ogr -f GPKG "$mvt/grids.gpkg" "$mvt/grids.csv" -oo GEOM_POSSIBLE_NAMES=wkt \
  -oo KEEP_GEOM_COLUMNS=NO -s_srs EPSG:4326 -t_srs EPSG:3857 -nln grids >&2
wall() {  # command...: seconds of wall-clock time
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>"$mvt/wall.err" || { cat "$mvt/wall.err" >&2; die "mvt: $1 failed"; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}
tile_count() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM tiles").fetchone()[0])' "$1"; }
best() { sort -g | head -1; }
log "mvt: gridmap tiles export --layer grids, zoom $minzoom-$maxzoom (3 runs)"
ours_s=$(for _ in 1 2 3; do
  wall "$gridmap" tiles export --layer grids --minzoom "$minzoom" --maxzoom "$maxzoom" \
    --out "$mvt/ours.mbtiles" --db "$city"
done | best)
log "mvt: ogr2ogr -f MVT, zoom $minzoom-$maxzoom (3 runs)"
gdal_s=$(for _ in 1 2 3; do
  rm -f "$mvt/gdal.mbtiles"
  wall ogr2ogr -f MVT "$mvt/gdal.mbtiles" "$mvt/grids.gpkg" grids -dsco FORMAT=MBTILES \
    -dsco MINZOOM="$minzoom" -dsco MAXZOOM="$maxzoom" -dsco EXTENT=4096 -dsco BUFFER=64 \
    -dsco SIMPLIFICATION=4 -dsco COMPRESS=YES
done | best)
printf '# mvt_export: zoom %d-%d, grids layer; gridmap %d tiles (%d bytes), ogr2ogr %d tiles (%d bytes); ogr2ogr reads a GeoPackage already in EPSG:3857, simplification 4 tile units like ours, buffer 64, extent 4096, gzip\n' \
  "$minzoom" "$maxzoom" "$(tile_count "$mvt/ours.mbtiles")" "$(stat -c %s "$mvt/ours.mbtiles")" \
  "$(tile_count "$mvt/gdal.mbtiles")" "$(stat -c %s "$mvt/gdal.mbtiles")"
figure mvt_export "$ours_s" "$gdal_s" s "$(ratio "$gdal_s" "$ours_s")" %.3f
log "mvt: the same export into a PMTiles archive (3 runs)"
pm_s=$(for _ in 1 2 3; do
  wall "$gridmap" tiles export --layer grids --minzoom "$minzoom" --maxzoom "$maxzoom" \
    --out "$mvt/ours.pmtiles" --db "$city"
done | best)
printf '# mvt_export_pmtiles: the same tiles as PMTiles v3: %.3f s, %d bytes (MBTiles %.3f s, %d bytes)\n' \
  "$pm_s" "$(stat -c %s "$mvt/ours.pmtiles")" "$ours_s" "$(stat -c %s "$mvt/ours.mbtiles")"
