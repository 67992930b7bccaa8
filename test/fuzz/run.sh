#!/bin/sh
#
# run.sh
#	  Build the vector parser fuzz target and run it for a bounded time.
#
# Steps: build with libFuzzer + ASan + UBSan, replay the seed corpus, then
# fuzz for FUZZ_SECONDS (default 30).  New inputs go to a scratch directory,
# so the committed corpus stays as it is; a crashing input is copied to
# test/fuzz/crash-* for reproduction (./fuzz_vector_parse crash-...).
# The last line of output is "N passed, N failed".
#
# IDENTIFICATION
#	  test/fuzz/run.sh
#

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-30}
cc=${FUZZ_CC:-clang}
bin=$here/fuzz_vector_parse
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0

ok()
{
	echo "ok - $1"
	passed=$((passed + 1))
}

not_ok()
{
	echo "not ok - $1"
	failed=$((failed + 1))
	[ -s "$work/log" ] && tail -n 40 "$work/log"
}

finish()
{
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "$cc not found (apt-get install -y clang)"
	not_ok "build"
	finish
fi

if "$cc" -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Wall -Wextra \
	-I"$top/src" "$here/fuzz_vector_parse.c" "$top/src/vector_parse.c" \
	-o "$bin" >"$work/log" 2>&1; then
	ok "build"
else
	not_ok "build"
	finish
fi

if "$bin" -runs=0 "$here/corpus" >"$work/log" 2>&1; then
	ok "seed corpus replays cleanly"
else
	not_ok "seed corpus replays cleanly"
fi

mkdir "$work/corpus" "$work/artifacts"
if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-max_len=4096 -dict="$here/vector.dict" \
	-artifact_prefix="$work/artifacts/" \
	"$work/corpus" "$here/corpus" >"$work/log" 2>&1; then
	ok "fuzz for $seconds s: $(grep -o "Done [0-9]* runs" "$work/log")"
else
	for f in "$work"/artifacts/*; do
		[ -e "$f" ] && cp "$f" "$here/" && echo "kept $here/$(basename "$f")"
	done
	not_ok "fuzz for $seconds s"
fi

finish
