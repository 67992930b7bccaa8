#!/bin/bash
# bench/kernels/run.sh -- build and run the distance kernel micro-benchmark.
#
#   bench/kernels/run.sh [reps]
#
# Builds bench_kernels.c with src/hnsw_distance.c through bench/Makefile,
# with the optimisation flags of the extension build (-O2 -fno-math-errno,
# no -march; the SIMD kernels carry their own target attributes), then
# prints ns per distance for every supported kernel set at d = 100, 768
# and 1536, with the speed-up over the scalar set.  Runs on one CPU (taskset) when it can.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=$here/bench_kernels
make -s -C "$here/.." kernels >/dev/null

echo "lscpu:      $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)"
echo "commit:     $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if command -v taskset >/dev/null 2>&1 && taskset -c 1 true 2>/dev/null; then
	echo "pinned:     taskset -c 1"
	exec taskset -c 1 "$bin" "$@"
fi
exec "$bin" "$@"
