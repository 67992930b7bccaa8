#!/bin/bash
# test/kernels/run.sh -- build and run the distance kernel tests.
#
#   test/kernels/run.sh [seed]
#
# Compiles test_kernels.c with src/hnsw_distance.c (gcc -O2, warnings as
# errors, no -march: the SIMD kernels carry their own target attributes)
# and runs it.  Kernel sets this CPU cannot run are reported as skipped.
# When aarch64-linux-gnu-gcc is installed (Debian: gcc-aarch64-linux-gnu),
# the NEON kernels are also compile-checked, which counts as one more
# test; when qemu-aarch64 is installed too (qemu-user), the whole test is
# also built for AArch64 and run under emulation, and its results count.
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

	# With an emulator at hand, run the whole test on AArch64 too: that
	# exercises the NEON kernels (and the scalar ones built for AArch64).
	if command -v qemu-aarch64 >/dev/null 2>&1; then
		armbin=$(mktemp)
		trap 'rm -f "$out" "$armbin"' EXIT
		if aarch64-linux-gnu-gcc $CFLAGS -static -o "$armbin" \
			"$here/test_kernels.c" "$top/src/hnsw_distance.c" -lm; then
			qemu-aarch64 "$armbin" "$@" >"$out" 2>&1
			rc=$?
			last=$(tail -n 1 "$out")
			if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]] &&
				{ [ "$rc" -eq 0 ] || [ "${BASH_REMATCH[2]}" -gt 0 ]; }; then
				sed -e '$d' -e 's/^/aarch64: /' "$out"
				passed=$((passed + BASH_REMATCH[1]))
				failed=$((failed + BASH_REMATCH[2]))
			else
				sed 's/^/aarch64: /' "$out"
				echo "FAIL aarch64: test_kernels under qemu-aarch64 exited with status $rc"
				failed=$((failed + 1))
			fi
		else
			echo "FAIL aarch64: cannot build test_kernels for AArch64"
			failed=$((failed + 1))
		fi
	else
		echo "skip aarch64 run: qemu-aarch64 (Debian package qemu-user) is not installed"
	fi
else
	echo "skip neon compile check: aarch64-linux-gnu-gcc is not installed"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
