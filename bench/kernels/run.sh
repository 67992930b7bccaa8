#!/bin/bash
# bench/kernels/run.sh -- build and run the distance kernel micro-benchmark.
#
#   bench/kernels/run.sh [reps]
#
# Compiles bench_kernels.c with src/hnsw_distance.c using the same
# optimisation level as the extension build (-O2, no -march; the SIMD
# kernels carry their own target attributes), then prints ns per distance
# for every supported kernel set at d = 100, 768 and 1536, with the
# speed-up over the scalar set.  Runs on one CPU (taskset) when it can.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CC=${CC:-gcc}
CFLAGS="-O2 -fno-math-errno"
bin=$(mktemp -d)/bench_kernels
trap 'rm -rf "$(dirname "$bin")"' EXIT

$CC $CFLAGS -Wall -Wextra -DBENCH_CFLAGS="\"$CC $CFLAGS\"" -o "$bin" \
	"$here/bench_kernels.c" "$top/src/hnsw_distance.c"

echo "lscpu:      $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)"
echo "commit:     $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if command -v taskset >/dev/null 2>&1 && taskset -c 1 true 2>/dev/null; then
	echo "pinned:     taskset -c 1"
	exec taskset -c 1 "$bin" "$@"
fi
exec "$bin" "$@"
