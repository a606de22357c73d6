#!/usr/bin/env bash
# Long fuzzing run: every @FuzzTest harness, each in a JVM of its own for the maxDuration it names
# (2 minutes each; raise FuzzSettings.MAX_DURATION and the coordinator's and node's literal maxDuration values for more),
# then a table of inputs run, crashes, hangs and peak memory per harness. See docs/fuzzing.md.
# Usage: ops/fuzz/run.sh [extra mvn args]   (run from the repository root; nice it on a shared machine)
set -uo pipefail
log=${FUZZ_LOG:-target/fuzz.log}
mkdir -p "$(dirname "$log")"
mvn -B -o -Pfuzz -pl protocol,coordinator,node -am test -Dtest='*FuzzTest' \
    -Dsurefire.failIfNoSpecifiedTests=false "$@" 2>&1 | tee "$log" >/dev/null
status=${PIPESTATUS[0]}
awk '
  /Running dev\.rhizome\./            { harness = $NF }
  /^#[0-9]+.*(DONE|pulse|NEW|REDUCE)/ { n = substr($1, 2) + 0; if (n > runs[harness]) runs[harness] = n;
                                        for (i = 1; i <= NF; i++) if ($i == "rss:") { m = $(i+1) + 0; if (m > rss[harness]) rss[harness] = m } }
  /==[0-9]+== ERROR: libFuzzer: timeout|ALARM: working on the last Unit/ { hangs[harness]++ }
  /== Java Exception:|FuzzTestFindingException|crash-/ { crashes[harness]++ }
  END {
    printf "%-70s %14s %8s %6s %10s\n", "harness", "inputs run", "crashes", "hangs", "peak rss";
    for (h in runs) { total += runs[h]; c += crashes[h]; t += hangs[h];
      printf "%-70s %14d %8d %6d %8d MB\n", h, runs[h], crashes[h], hangs[h], rss[h] }
    printf "%-70s %14d %8d %6d\n", "TOTAL", total, c, t }' "$log"
echo "maven exit status: $status (full log: $log)"
exit "$status"
