# bench/run import: the register import (gridmap import register) of GRIDMAP_BENCH_REGISTER
# rows (default 1,000,000: households with standard addresses, each with its head of
# household) from CSV into a copy of the tatabu demo — address parsing, point-in-grid
# stamping, buildings, households, residents, indexes — vs ogr2ogr loading the same CSV into
# a SpatiaLite table with a spatial index (the anchor does no parsing, stamping or upserts).
# Prints both times and both peak memories. Sourced by bench/run (see bench/README.md).
gridmap=$root/build-bench/gridmap
rows=${GRIDMAP_BENCH_REGISTER:-1000000}
reg_dir=$here/.cache/register-$rows
if [[ ! -f $reg_dir/ready ]]; then
  log "import: generating $rows register rows and the tatabu demo into $reg_dir"
  rm -rf "$reg_dir"
  mkdir -p "$reg_dir"
  "$gridmap" demo --db "$reg_dir/tatabu.sqlite" --preset tatabu >&2
  # The demo's extent: the rows fall over its grids.
  python3 "$here/register_csv.py" "$rows" 111.6 40.75 111.85 40.9 1 >"$reg_dir/register.csv"
  touch "$reg_dir/ready"
fi
imp=$tmp/import
mkdir -p "$imp"
peak_and_time() {  # command...: prints "seconds kilobytes" of its run
  /usr/bin/time -f '%e %M' -o "$imp/time" "$@" >"$imp/out" 2>"$imp/err" || { cat "$imp/err" >&2; die "import: $1 failed"; }
  cat "$imp/time"
}
cp "$reg_dir/tatabu.sqlite" "$imp/ours.sqlite"
log "import: gridmap import register ($rows rows)"
read -r ours_s ours_kb < <(peak_and_time "$gridmap" import register "$reg_dir/register.csv" --db "$imp/ours.sqlite")
cat "$imp/out" >&2
log "import: ogr2ogr to SpatiaLite with a spatial index"
read -r ogr_s ogr_kb < <(peak_and_time ogr2ogr -f SQLite -dsco SPATIALITE=YES "$imp/anchor.sqlite" "$reg_dir/register.csv" \
  -oo X_POSSIBLE_NAMES=经度 -oo Y_POSSIBLE_NAMES=纬度 -oo KEEP_GEOM_COLUMNS=NO -a_srs EPSG:4326 \
  -nln households -lco SPATIAL_INDEX=YES -gt 65536)
printf '# import: %s rows; peak memory gridmap %s MB, ogr2ogr %s MB\n' "$rows" "$((ours_kb / 1024))" "$((ogr_kb / 1024))"
figure import "$ours_s" "$ogr_s" s "$(ratio "$ogr_s" "$ours_s")" %.2f
