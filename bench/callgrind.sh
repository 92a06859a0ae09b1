#!/usr/bin/env bash
# Per-call cost split from instruction counts (repeatable on a noisy machine):
# callgrind runs N calls of s:user() (GET) and of s:send_otp() (POST), and a
# run with none; the difference divided by N is the cost of one call. With
# the Lua collector stopped, the inclusive instructions of the C entry points
# split it into phases; the whole call is counted with it running. The same
# for bench/bare_curl.c sending the same requests (the floor). Needs
# TINGTING_EMULATOR_URL and build/bench/bare_curl.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
url=${TINGTING_EMULATOR_URL:?start the emulator and set TINGTING_EMULATOR_URL}
bare=${BARE_CURL:-build/bench/bare_curl}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
access=$(TINGTING_EMULATOR_URL=$url lua5.4 -e 'package.path="./?.lua;"..package.path
  local emu = require "spec.helpers.emulator"
  emu.reset(); emu.config { latency_ms = 0, credits = 1e9 }; print((emu.login()))')
export TT_ACCESS=$access TINGTING_EMULATOR_URL=$url

# callgrind NAME CMD...: runs CMD under callgrind, leaves $out/NAME.txt
callgrind() {
  local name=$1
  shift
  valgrind --tool=callgrind --callgrind-out-file="$out/$name.out" "$@" >/dev/null 2>"$out/vg.log" ||
    { cat "$out/vg.log" >&2; exit 1; }
  callgrind_annotate --inclusive=yes --threshold=100 "$out/$name.out" >"$out/$name.txt" 2>/dev/null
}
total() { sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$out/$1.txt" | tr -d ,; }
# inclusive Ir of a function, by symbol name (0 when never called)
fn() {
  local v
  v=$(awk -v f="$2" '$0 ~ ("[:]" f " ") || $0 ~ ("[:]" f "$") { gsub(",", "", $1); print $1; exit }' "$out/$1.txt")
  echo "${v:-0}"
}
per() { echo $(( ($2 - $1) / N )); } # per-call difference of two counts

printf 'Per call instruction counts (callgrind; %d calls minus none, after one warm-up call)\n' "$N"
printf 'whole call counted with the Lua collector running, its phases with the collector stopped\n'
printf '%-46s %12s %12s\n' "phase" "GET user" "POST otp"
callgrind base lua5.4 bench/callgrind.lua 0 get nogc
declare -A R
for op in get post; do
  callgrind "$op" lua5.4 bench/callgrind.lua "$N" "$op" nogc
  callgrind "$op-gc" lua5.4 bench/callgrind.lua "$N" "$op" gc
  mapfile -t args < <(lua5.4 bench/wire.lua "$op")
  path=/api/accounts/user_details/
  [ "$op" = post ] && path=/api/system/send/otp/
  callgrind "bare0-$op" "$bare" "$url$path" 0 "${args[@]}"
  callgrind "bare-$op" "$bare" "$url$path" "$N" "${args[@]}"
  whole=$(per "$(total base)" "$(total "$op")")
  build=$(per "$(fn base core_build)" "$(fn "$op" core_build)")
  request=$(per "$(fn base transport_request)" "$(fn "$op" transport_request)")
  perform=$(per "$(fn base curl_easy_perform)" "$(fn "$op" curl_easy_perform)")
  parse=$(per "$(fn base core_parse)" "$(fn "$op" core_parse)")
  R[$op,whole]=$(per "$(total base)" "$(total "$op-gc")")
  R[$op,lua]=$(( whole - build - request - parse ))
  R[$op,build]=$build
  R[$op,setup]=$(( request - perform ))
  R[$op,perform]=$perform
  R[$op,parse]=$parse
  R[$op,own]=$(( R[$op,whole] - perform ))
  R[$op,bare]=$(per "$(total "bare0-$op")" "$(total "bare-$op")")
  R[$op,bareperform]=$(per "$(fn "bare0-$op" curl_easy_perform)" "$(fn "bare-$op" curl_easy_perform)")
done
row() { printf '%-46s %12d %12d\n' "$1" "${R[get,$2]}" "${R[post,$2]}"; }
row "whole call" whole
row "  Lua call path (call.lua, init.lua)" lua
row "  core.build (validate, URL, headers, body)" build
row "  transport outside libcurl (setup, finish)" setup
row "  libcurl (curl_easy_perform)" perform
row "  core.parse (decode, envelope, conversion)" parse
row "library's own work (whole call - libcurl)" own
row "bare libcurl, same requests (whole program)" bare
row "  of which curl_easy_perform" bareperform
awk -v a="${R[get,whole]}" -v b="${R[get,bare]}" -v c="${R[post,whole]}" -v d="${R[post,bare]}" \
  'BEGIN { printf "%-46s %11.2fx %11.2fx\n", "library / bare libcurl", a / b, c / d }'
