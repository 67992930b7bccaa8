#!/bin/sh
#
# run.sh
#	  Build every parser fuzz target and run each for a bounded time.
#
# A target is test/fuzz/fuzz_<name>_parse.c.  It is linked with
# src/<name>_parse.c, plus src/vector_parse.c when <name> is not vector.
# Its seed corpus is test/fuzz/corpus_<name>/ (for vector, test/fuzz/corpus/
# when corpus_vector/ does not exist) and its dictionary test/fuzz/<name>.dict,
# each used when present.
#
# Steps for each target: build with libFuzzer + ASan + UBSan, replay the
# seed corpus, then fuzz.  FUZZ_SECONDS (default 75) is the fuzzing budget
# of the whole run, shared equally between the targets (at least 1 s
# each).  New inputs go to a scratch directory, so the committed corpora
# stay as they are.  When a target fails, its binary and any crashing input
# are copied to test/fuzz/ for reproduction (./fuzz_<name>_parse crash-...).
# The last line of output is "N passed, N failed".
#
# IDENTIFICATION
#	  test/fuzz/run.sh
#

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
budget=${FUZZ_SECONDS:-75}
cc=${FUZZ_CC:-clang}
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

# keep_binary NAME: copy a failed target's binary next to its sources
keep_binary()
{
	[ -x "$work/fuzz_$1_parse" ] || return 0
	cp "$work/fuzz_$1_parse" "$here/" && echo "kept $here/fuzz_$1_parse"
}

# run_target NAME SECONDS: build, replay and fuzz one target
run_target()
{
	name=$1
	seconds=$2
	src=$here/fuzz_${name}_parse.c
	bin=$work/fuzz_${name}_parse
	links="$top/src/${name}_parse.c"
	[ "$name" = vector ] || links="$links $top/src/vector_parse.c"

	corpus=$here/corpus_$name
	if [ ! -d "$corpus" ] && [ "$name" = vector ]; then
		corpus=$here/corpus
	fi
	dict=
	[ -f "$here/$name.dict" ] && dict="-dict=$here/$name.dict"

	# shellcheck disable=SC2086
	if "$cc" -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Wall -Wextra \
		-I"$top/src" "$src" $links -o "$bin" >"$work/log" 2>&1; then
		ok "$name: build"
	else
		not_ok "$name: build"
		return
	fi

	if [ -d "$corpus" ]; then
		if "$bin" -runs=0 "$corpus" >"$work/log" 2>&1; then
			ok "$name: seed corpus replays cleanly"
		else
			not_ok "$name: seed corpus replays cleanly"
			keep_binary "$name"
		fi
	else
		corpus=
	fi

	rm -rf "$work/corpus" "$work/artifacts"
	mkdir "$work/corpus" "$work/artifacts"
	# shellcheck disable=SC2086
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=4096 $dict -artifact_prefix="$work/artifacts/" \
		"$work/corpus" $corpus >"$work/log" 2>&1; then
		ok "$name: fuzz for $seconds s: $(grep -o "Done [0-9]* runs" "$work/log")"
	else
		for f in "$work"/artifacts/*; do
			[ -e "$f" ] && cp "$f" "$here/" && echo "kept $here/$(basename "$f")"
		done
		not_ok "$name: fuzz for $seconds s"
		keep_binary "$name"
	fi
}

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "$cc not found (apt-get install -y clang)"
	not_ok "build"
	finish
fi

names=
count=0
for f in "$here"/fuzz_*_parse.c; do
	[ -e "$f" ] || continue
	name=${f##*/fuzz_}
	name=${name%_parse.c}
	names="$names $name"
	count=$((count + 1))
done

if [ "$count" -eq 0 ]; then
	not_ok "no fuzz_<name>_parse.c target found"
	finish
fi

seconds=$((budget / count))
[ "$seconds" -ge 1 ] || seconds=1

for name in $names; do
	run_target "$name" "$seconds"
done

finish
