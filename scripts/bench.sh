#!/usr/bin/env bash
# Runs every Go benchmark once per package and prints a markdown table.
# BENCH selects benchmarks (a go test -bench regexp), BENCHTIME their length.
set -euo pipefail
cd "$(dirname "$0")/.."
bench="${BENCH:-.}"
benchtime="${BENCHTIME:-1x}"
mkdir -p bench/results
raw="bench/results/go-bench.txt"
go test -run '^$' -bench "$bench" -benchtime "$benchtime" -benchmem ./... | tee "$raw" >&2
echo
echo "| benchmark | iterations | ns/op | other metrics |"
echo "|---|---:|---:|---|"
awk '/^Benchmark/ {
  name=$1; iters=$2; nsop=""; rest="";
  for (i=3; i<NF; i+=2) {
    if ($(i+1)=="ns/op") nsop=$i; else rest=rest $i " " $(i+1) "; ";
  }
  printf "| %s | %s | %s | %s |\n", name, iters, nsop, rest
}' "$raw"
