#!/bin/bash
#-------------------------------------------------------------------------
#
# run.sh
#	  Build, install and run every test suite of hnsw.
#
# Run as root on Debian 12:   bash test/run.sh
#
# Steps: install missing packages, build and install the extension, copy
# the tree (without .git) into a temporary directory owned by postgres,
# start a throwaway cluster, then run as postgres, from the top of that
# copy:
#
#   regress    pg_regress on every sql/*.sql     make installcheck TAP_TESTS= ISOLATION=
#   tap        prove on every test/t/*.pl        make installcheck REGRESS= ISOLATION=
#   isolation  every test/isolation/specs/*.spec make installcheck REGRESS= TAP_TESTS=
#   kernels    test/kernels/run.sh  \  if present; each prints as its last
#   fuzz       test/fuzz/run.sh     /   line "N passed, N failed"
#
# The extra suites get PATH (with the PostgreSQL 15 bin directory first),
# PG_CONFIG, and PGHOST/PGPORT/PGUSER/PGDATABASE pointing at the running
# throwaway cluster.  They may write anywhere inside the copy.
#
# Every suite runs even if an earlier one fails.  The last line of output
# is always "total: N passed, N failed"; the exit status is 0 only if
# nothing failed and at least one test ran.
#
# Environment:
#   SUITE_TIMEOUT   seconds allowed per suite (default 1800)
#   KEEP_LOG_LINES  lines of each failure log to show (default 300)
#
# IDENTIFICATION
#	  test/run.sh
#
#-------------------------------------------------------------------------

set -uo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITE_TIMEOUT=${SUITE_TIMEOUT:-1800}
KEEP_LOG_LINES=${KEEP_LOG_LINES:-300}

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()

# elapsed START: seconds since START (an $EPOCHREALTIME value), one decimal
elapsed()
{
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'
}

# record NAME PASSED FAILED TIME [NOTE]
record()
{
	local name=$1 passed=$2 failed=$3 time=$4 note=${5:-}
	TOTAL_PASSED=$((TOTAL_PASSED + passed))
	TOTAL_FAILED=$((TOTAL_FAILED + failed))
	SUMMARY+=("$(printf '  %-10s %4d passed, %4d failed  %8s  %s' \
		"$name" "$passed" "$failed" "$time" "$note")")
	if [ "$failed" -gt 0 ]; then
		say "--- $name: $passed passed, $failed failed ($time) FAILED"
	else
		say "--- $name: $passed passed, $failed failed ($time)"
	fi
}

skip()
{
	SUMMARY+=("$(printf '  %-10s skipped: %s' "$1" "$2")")
	say "--- $1: skipped: $2"
}

# show_file FILE: print a log file, cut to KEEP_LOG_LINES lines
show_file()
{
	local f=$1 n
	[ -s "$f" ] || return 0
	n=$(wc -l <"$f")
	say ">>> $f ($n lines)"
	if [ "$n" -gt "$KEEP_LOG_LINES" ]; then
		head -n "$KEEP_LOG_LINES" "$f"
		say "<<< ... $((n - KEEP_LOG_LINES)) more lines cut"
	else
		cat "$f"
		say "<<<"
	fi
}

# run_in_tree LOG CMD...: run CMD as postgres from the top of the copy
run_in_tree()
{
	local log=$1 PG_ARGV rc=0
	shift
	postgres_argv
	# no subshell here, so that an interrupt reaches our trap at once
	cd "$TREE" || return 1
	run_limited "$SUITE_TIMEOUT" "$log" "${PG_ARGV[@]}" "$@" || rc=$?
	cd "$HNSW_TOP" || true
	return "$rc"
}

# --- pg_regress and pg_isolation_regress ---------------------------------

# count_regress NAME LOG RC DIFFS NOTE: count the tests of a pg_regress
# (or pg_isolation_regress) run from its log and record them
count_regress()
{
	local name=$1 log=$2 rc=$3 diffs=$4 t0=$5 note=$6 passed=0 failed=0 line
	line=$(grep -E 'tests (passed|failed)' "$log" | tail -n 1)
	if [[ $line =~ All\ ([0-9]+)\ tests\ passed ]]; then
		passed=${BASH_REMATCH[1]}
	elif [[ $line =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ failed ]]; then
		failed=${BASH_REMATCH[1]}
		passed=$((BASH_REMATCH[2] - failed))
	elif [[ $line =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ passed ]]; then
		passed=${BASH_REMATCH[1]}
		failed=$((BASH_REMATCH[2] - passed))
	else
		# no summary (e.g. the extension failed to load): count test lines
		passed=$(grep -cE '\.\.\. ok' "$log")
		failed=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$log")
	fi
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1
	fi
	if [ "$failed" -gt 0 ]; then
		show_file "$diffs"
	fi
	record "$name" "$passed" "$failed" "$(elapsed "$t0")" "$note"
}

suite_regress()
{
	local t0=$EPOCHREALTIME log=$LOGDIR/regress.log rc=0
	local -a tests=("$TREE"/sql/*.sql)
	if [ ! -e "${tests[0]}" ]; then
		skip regress "no sql/*.sql"
		return
	fi
	step "regress: pg_regress, ${#tests[@]} files in sql/"
	# TAP_TESTS= and ISOLATION= keep installcheck to pg_regress alone.
	run_in_tree "$log" make installcheck TAP_TESTS= ISOLATION= || rc=$?
	count_regress regress "$log" "$rc" "$TREE/regression.diffs" "$t0" "(pg_regress tests)"
}

suite_isolation()
{
	local t0=$EPOCHREALTIME log=$LOGDIR/isolation.log rc=0
	local -a specs=("$TREE"/test/isolation/specs/*.spec)
	if [ ! -e "${specs[0]}" ]; then
		skip isolation "no test/isolation/specs/*.spec"
		return
	fi
	step "isolation: pg_isolation_regress, ${#specs[@]} specs in test/isolation/specs/"
	# REGRESS= and TAP_TESTS= keep installcheck to the isolation specs.
	run_in_tree "$log" make installcheck REGRESS= TAP_TESTS= || rc=$?
	count_regress isolation "$log" "$rc" "$TREE/output_iso/regression.diffs" "$t0" "(isolation specs)"
}

# --- TAP ------------------------------------------------------------------

suite_tap()
{
	local t0=$EPOCHREALTIME log=$LOGDIR/tap.log rc=0 passed=0 skipped=0 failed=0
	local subtests="" nfiles f name
	local -a files=("$TREE"/test/t/*.pl)
	if [ ! -e "${files[0]}" ]; then
		skip tap "no test/t/*.pl"
		return
	fi
	nfiles=${#files[@]}
	step "tap: prove, $nfiles files in test/t/"
	# REGRESS= and ISOLATION= keep installcheck to prove alone.
	run_in_tree "$log" make installcheck REGRESS= ISOLATION= || rc=$?

	# prove prints "test/t/NAME.pl .. ok" (or "skipped: why") per file
	passed=$(grep -cE '^[^ ]+\.pl \.+ ok' "$log")
	skipped=$(grep -cE '^[^ ]+\.pl \.+ skipped' "$log")
	failed=$((nfiles - passed - skipped))
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1
	fi
	if [[ $(grep -E '^Files=[0-9]+, Tests=[0-9]+' "$log" | tail -n 1) =~ Tests=([0-9]+) ]]; then
		subtests="${BASH_REMATCH[1]} subtests"
	fi
	if [ "$failed" -gt 0 ]; then
		for f in "${files[@]}"; do
			name=$(basename "$f" .pl)
			if ! grep -qE "^[^ ]*$name\.pl \.+ (ok|skipped)" "$log"; then
				show_file "$TREE/tmp_check/log/regress_log_$name"
				for f in "$TREE/tmp_check/log/${name}"_*.log; do
					show_file "$f"
				done
			fi
		done
	fi
	record tap "$passed" "$failed" "$(elapsed "$t0")" \
		"(counting test files$([ "$skipped" -eq 0 ] || echo ", $skipped skipped")${subtests:+; $subtests in all})"
}

# --- suites with their own driver -----------------------------------------

suite_script()
{
	local name=$1 script=test/$1/run.sh
	local t0=$EPOCHREALTIME log=$LOGDIR/$1.log rc=0 passed=0 failed=0 last note=""
	if [ ! -f "$TREE/$script" ]; then
		skip "$name" "no $script"
		return
	fi
	step "$name: $script"
	run_in_tree "$log" bash "$script" || rc=$?
	last=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)
	if [[ $last =~ ^[[:space:]]*([0-9]+)\ passed,\ ([0-9]+)\ failed[[:space:]]*$ ]]; then
		passed=${BASH_REMATCH[1]}
		failed=${BASH_REMATCH[2]}
	else
		note="(no \"N passed, N failed\" line)"
		failed=1
	fi
	if [ "$rc" -ne 0 ]; then
		[ "$failed" -gt 0 ] || failed=1
		note="(exit status $rc) $note"
	fi
	if [ "$failed" -gt 0 ]; then
		say "$script exited with status $rc"
	fi
	record "$name" "$passed" "$failed" "$(elapsed "$t0")" "$note"
}

# --- main -----------------------------------------------------------------

T_START=$EPOCHREALTIME
TOTAL_PRINTED=

# If a step before the summary dies (packages, build, cluster), still end
# with the total line, counting the broken step as one failure.
on_exit '[ -n "$TOTAL_PRINTED" ] || say "total: $TOTAL_PASSED passed, $((TOTAL_FAILED + 1)) failed"'

step "dependencies"
ensure_deps $HNSW_TEST_DEPS

step "build and install"
t0=$EPOCHREALTIME
build_install
say "build: $(elapsed "$t0")"

make_tempdir WORK hnsw-test
TREE=$WORK/tree
LOGDIR=$WORK/logs
mkdir -p "$LOGDIR"
rsync -a --exclude=/.git --exclude=/results/ --exclude=/tmp_check/ \
	--exclude=/output_iso/ --exclude=/log/ --exclude=/regression.diffs \
	--exclude=/regression.out --exclude=/bench/data/ --exclude=/bench/results/ \
	"$HNSW_TOP/" "$TREE/" || die "copying the tree to $TREE failed"
if [ "$(id -u)" = 0 ]; then
	chown -R postgres: "$WORK"
fi

step "throwaway cluster"
start_cluster

suite_regress
suite_tap
suite_isolation
suite_script kernels
suite_script fuzz

stop_cluster

step "summary ($(elapsed "$T_START") in all)"
printf '%s\n' "${SUMMARY[@]}"
if [ "$TOTAL_PASSED" -eq 0 ] && [ "$TOTAL_FAILED" -eq 0 ]; then
	say "no tests ran"
fi
say "total: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
TOTAL_PRINTED=1
[ "$TOTAL_FAILED" -eq 0 ] && [ "$TOTAL_PASSED" -gt 0 ]
