#!/usr/bin/env bash
# Per-call cost split from instruction counts (repeatable on a noisy machine):
# callgrind runs N s:user() calls; we read the inclusive instructions of the C
# entry points of each phase and divide by N. Needs TINGTING_EMULATOR_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
url=${TINGTING_EMULATOR_URL:?start the emulator and set TINGTING_EMULATOR_URL}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
access=$(TINGTING_EMULATOR_URL=$url lua5.4 -e 'package.path="./?.lua;"..package.path; local emu = require "spec.helpers.emulator"; print((emu.login()))')
run() { # $1 = calls; leaves the annotation in $out/annotate-$1.txt
  TT_ACCESS=$access TINGTING_EMULATOR_URL=$url valgrind --tool=callgrind --callgrind-out-file="$out/cg-$1.out" \
    lua5.4 bench/callgrind.lua "$1" >/dev/null 2>"$out/vg.log"
  callgrind_annotate --inclusive=yes --threshold=100 "$out/cg-$1.out" >"$out/annotate-$1.txt" 2>/dev/null
  sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$out/annotate-$1.txt" | tr -d ,
}
base=$(run 0)
total=$(run "$N")
cp "$out/annotate-$N.txt" "$out/annotate.txt"
phase() { # inclusive Ir of a function, by symbol name
  awk -v f="$1" '$0 ~ ("[:]" f " ") || $0 ~ ("[:]" f "$") { gsub(",", "", $1); print $1; exit }' "$out/annotate.txt"
}
printf 'Per call instruction counts (callgrind, %d calls of s:user() after one warm-up call)\n' "$N"
printf '%-34s %14s\n' "phase (C entry point)" "Ir per call"
printf '%-34s %14d\n' "whole call (Lua call path incl.)" $(( (total - base) / N ))
for f in core_build curl_request core_parse curl_easy_perform; do
  v=$(phase "$f"); v=${v:-0}
  v0=$(awk -v f="$f" '$0 ~ ("[:]" f " ") || $0 ~ ("[:]" f "$") { gsub(",", "", $1); print $1; exit }' \
    "$out/annotate-0.txt"); v0=${v0:-0}
  printf '%-34s %14d\n' "$f" $(( (v - v0) / N ))
done
