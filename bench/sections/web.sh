# bench/run web: the web app's performance budget (tests/e2e/budget.mjs) on the release build,
# with its times checked: the dispatcher's console ready within 1.5 s of signing in on a
# server in use, the worker's view within 1 s from the service worker's cache offline, and the
# byte budgets (1.5 MB first load, 100 KB a minute idle, measured over a minute here).
# Sourced by bench/run (see bench/README.md).
gridmap=$root/build-bench/gridmap
out=$tmp/web
mkdir -p "$out"
if ! GRIDMAP_BUDGET_TIMES=1 GRIDMAP_BUDGET_IDLE_SECONDS=60 node "$root/tests/e2e/budget.mjs" "$gridmap" "$out" >"$out/log" 2>&1; then
  cat "$out/log" >&2
  die "web: the budget was not kept"
fi
grep '^budget' "$out/log"
