#!/bin/sh
# How ctest (tests/fuzz/CMakeLists.txt) and bench/fuzz run one fuzz target:
#   run.sh replay TARGET NAME        every corpus and regression input of NAME, once each
#   run.sh fuzz TARGET NAME WORKDIR [SECONDS]
#       fuzzes for SECONDS (default: $GRIDMAP_FUZZ_SECONDS, else 10) from a copy of the
#       corpus in WORKDIR/corpus, regressions included; a crash is left in WORKDIR/crashes/
#       and fails the run.
set -eu
mode=$1 target=$2 name=$3
here=$(cd "$(dirname "$0")" && pwd)
corpus=$here/corpus/$name
regressions=$here/regressions/$name

case $mode in
replay)
  # Files, not directories: given only files, libFuzzer runs each once and stops (and a
  # program built without libFuzzer does the same).
  files=$(find "$corpus" "$regressions" -type f 2>/dev/null | sort)
  if [ -z "$files" ]; then
    echo "no inputs for $name"
    exit 0
  fi
  # shellcheck disable=SC2086  # one argument per file; the paths hold no blanks
  exec "$target" $files
  ;;
fuzz)
  work=$4
  seconds=${5:-${GRIDMAP_FUZZ_SECONDS:-10}}
  rm -rf "$work/corpus" "$work/crashes"
  mkdir -p "$work/corpus" "$work/crashes"
  if [ -d "$corpus" ]; then cp -R "$corpus"/. "$work/corpus/"; fi
  extra=""
  if [ -d "$regressions" ]; then extra=$regressions; fi
  # shellcheck disable=SC2086
  "$target" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$work/crashes/" "$work/corpus" $extra && status=0 || status=$?
  for f in "$work"/crashes/*; do
    [ -e "$f" ] || continue
    echo "fuzz: $name: input that fails: $f (copy it to tests/fuzz/regressions/$name/)"
  done
  exit "$status"
  ;;
*)
  echo "usage: run.sh replay|fuzz TARGET NAME [WORKDIR [SECONDS]]" >&2
  exit 2
  ;;
esac
