#!/bin/bash
# test/kernels/run.sh -- build and run the distance kernel tests.
#
#   test/kernels/run.sh [seed]
#
# Compiles test_kernels.c with src/hnsw_distance.c (gcc -O2, warnings as
# errors, no -march: the SIMD kernels carry their own target attributes)
# and runs it.  Kernel sets this CPU cannot run are reported as skipped.
# When aarch64-linux-gnu-gcc is installed, the NEON kernels are also
# compile-checked, which counts as one more test.
#
# The last line of output is "N passed, N failed"; the exit status is 0
# only if nothing failed.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CC=${CC:-gcc}
CFLAGS="-O2 -Wall -Wextra -Werror"
bin=$here/test_kernels
out=$(mktemp)
trap 'rm -f "$out"' EXIT

passed=0
failed=0

echo "compiler: $($CC --version | head -n 1); flags: $CFLAGS"
if ! $CC $CFLAGS -o "$bin" "$here/test_kernels.c" "$top/src/hnsw_distance.c" -lm; then
	echo "FAIL build of test_kernels"
	echo "0 passed, 1 failed"
	exit 1
fi

"$bin" "$@" >"$out" 2>&1
rc=$?
last=$(tail -n 1 "$out")
if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	sed '$d' "$out"
	passed=${BASH_REMATCH[1]}
	failed=${BASH_REMATCH[2]}
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		echo "FAIL test_kernels exited with status $rc"
		failed=1
	fi
else
	# It died before its summary: a crash is most likely a read past the
	# end of a vector, caught by the guard page.
	cat "$out"
	echo "FAIL test_kernels exited with status $rc before finishing"
	failed=$((failed + 1))
fi

if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
	if aarch64-linux-gnu-gcc -O2 -Wall -Wextra -Werror -c \
		-o /dev/null "$top/src/hnsw_distance.c"; then
		echo "ok   neon: compiles with aarch64-linux-gnu-gcc -O2 -Wall -Wextra"
		passed=$((passed + 1))
	else
		echo "FAIL neon: aarch64-linux-gnu-gcc cannot compile src/hnsw_distance.c"
		failed=$((failed + 1))
	fi
else
	echo "skip neon compile check: aarch64-linux-gnu-gcc is not installed"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
