#-------------------------------------------------------------------------
#
# lib.sh
#	  Shell helpers shared by the demo, the test runner and the benchmark
#	  scripts.  Source it; do not run it.
#
#   . "$(dirname "$0")/../test/lib.sh"
#
#   ensure_deps      install the Debian packages the build and tests need
#   build_install    make clean, make -j2, make install, from the top of the tree
#   start_cluster    initdb + start a throwaway cluster owned by "postgres";
#                    exports PGHOST, PGPORT, PGUSER, PGDATABASE, PGDATA
#   stop_cluster     stop it and remove its directory (also done on exit)
#   init_cluster DIR PORT [postgresql.conf lines...]
#                    initdb + start a throwaway cluster in DIR, nothing
#                    exported (for scripts that run several)
#   as_postgres CMD  run CMD as the postgres user with the cluster's
#                    environment (PATH, PG_CONFIG, PGHOST, ...)
#   run_psql ARGS    psql as postgres against the cluster, ON_ERROR_STOP
#   run_limited SECS LOG CMD
#                    run CMD in its own process group with a time limit,
#                    showing its output and appending it to LOG
#   make_tempdir VAR make a temporary directory owned by postgres, removed
#                    on exit; its path is stored in VAR
#   on_exit CMD      run CMD (a shell string) when the script exits
#
# HNSW_TMPDIR (default /tmp) holds the temporary directories; postgres must
# be able to reach it.
#
# The throwaway cluster lives entirely in a temporary directory: data
# directory, Unix socket and log.  It does not listen on TCP.  The system's
# own clusters (pg_lsclusters) are never used or touched.
#
# Everything registered with on_exit runs, in reverse order, when the
# script exits for any reason, including an error or Ctrl-C.
#
# IDENTIFICATION
#	  test/lib.sh
#
#-------------------------------------------------------------------------

PG_MAJOR=${PG_MAJOR:-15}
# HNSW_PG_BINDIR selects another (relocated) installation of PostgreSQL,
# so that several checkouts can be built and tested side by side.
PG_BINDIR=${HNSW_PG_BINDIR:-/usr/lib/postgresql/$PG_MAJOR/bin}
PG_CONFIG=$PG_BINDIR/pg_config
export PG_CONFIG
case ":$PATH:" in
	*":$PG_BINDIR:"*) ;;
	*) PATH=$PG_BINDIR:$PATH ;;
esac
export PATH

# Temporary directories go here; postgres must be able to reach it.
HNSW_TMPDIR=${HNSW_TMPDIR:-/tmp}

# Top of the source tree: the parent of the directory holding this file.
HNSW_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

HNSW_DEPS="postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR libipc-run-perl make gcc clang rsync"
# The test suites also cross-compile the NEON kernels and run them under qemu.
HNSW_TEST_DEPS="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"

# ---------------------------------------------------------------------------
# messages

say()
{
	printf '%s\n' "$*"
}

step()
{
	printf '\n=== %s\n' "$*"
}

die()
{
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# ---------------------------------------------------------------------------
# cleanup on exit

_HNSW_ON_EXIT=()

on_exit()
{
	_HNSW_ON_EXIT+=("$1")
}

_hnsw_run_exit_hooks()
{
	local i
	for ((i = ${#_HNSW_ON_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${_HNSW_ON_EXIT[i]}" || true
	done
	_HNSW_ON_EXIT=()
}

_hnsw_on_signal()
{
	local sig=$1 code=$2
	trap - "$sig"
	_hnsw_kill_child
	printf '\ninterrupted (SIG%s), cleaning up\n' "$sig" >&2
	exit "$code"
}

trap '_hnsw_run_exit_hooks' EXIT
trap '_hnsw_on_signal INT 130' INT
trap '_hnsw_on_signal TERM 143' TERM
trap '_hnsw_on_signal HUP 129' HUP

# ---------------------------------------------------------------------------
# packages and build

need_root()
{
	[ "$(id -u)" = 0 ] || die "$1 needs root (run this script as root)"
}

_hnsw_installed()
{
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Install whatever of HNSW_DEPS (and the packages named as arguments) is
# missing.  Quiet unless something fails.
ensure_deps()
{
	local pkg missing=() log
	for pkg in $HNSW_DEPS "$@"; do
		_hnsw_installed "$pkg" || missing+=("$pkg")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		return 0
	fi
	need_root "installing ${missing[*]}"
	say "installing: ${missing[*]}"
	log=$(mktemp)
	if ! DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		die "apt-get update failed"
	fi
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" </dev/null >"$log" 2>&1; then
		tail -n 60 "$log" >&2
		rm -f "$log"
		die "apt-get install failed"
	fi
	rm -f "$log"
	for pkg in "${missing[@]}"; do
		_hnsw_installed "$pkg" || die "package $pkg did not install"
	done
}

# Build and install the extension from the top of the tree.
build_install()
{
	local log
	need_root "make install"
	log=$(mktemp)
	say "building in $HNSW_TOP"
	# Start clean: build products left in the tree (or checked out with
	# it, all with the same timestamp) must never stand in for the sources.
	make -C "$HNSW_TOP" clean >/dev/null 2>&1 || true
	if ! make -C "$HNSW_TOP" -j2 >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		die "build failed"
	fi
	# Show compiler warnings, but not the noise of a clean build.
	grep -E 'warning:|error:' "$log" || true
	if ! make -C "$HNSW_TOP" install >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		die "make install failed"
	fi
	rm -f "$log"
	say "installed into $("$PG_CONFIG" --pkglibdir) and $("$PG_CONFIG" --sharedir)/extension"
}

# ---------------------------------------------------------------------------
# the postgres user

# make_tempdir VAR [TEMPLATE]: a fresh directory owned by postgres, removed
# when the script exits.
make_tempdir()
{
	local _dir
	_dir=$(mktemp -d "$HNSW_TMPDIR/${2:-hnsw}.XXXXXX") || die "mktemp failed"
	on_exit "rm -rf '$_dir'"
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$_dir" || die "chown postgres $_dir failed"
	fi
	printf -v "$1" '%s' "$_dir"
}

# postgres_argv: set the array PG_ARGV to the command prefix that runs a
# program as postgres (when we are root).  The environment passes through
# (so that knobs such as FUZZ_SECONDS reach the test scripts), except for
# the user's identity and home, and the PATH, PG_CONFIG and cluster
# variables set here.  setpriv execs in place (no fork, no new session),
# so signals sent to our process group reach the program.
postgres_argv()
{
	local v
	PG_ARGV=()
	if [ "$(id -u)" = 0 ]; then
		PG_ARGV=(setpriv --reuid=postgres --regid=postgres --init-groups
			env -u TMPDIR -u XDG_RUNTIME_DIR -u MAIL
			HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres)
	else
		PG_ARGV=(env)
	fi
	PG_ARGV+=(PATH="$PATH" PG_CONFIG="$PG_CONFIG")
	for v in PGHOST PGPORT PGUSER PGDATABASE PGDATA; do
		if [ -n "${!v:-}" ]; then
			PG_ARGV+=("$v=${!v}")
		fi
	done
}

# as_postgres CMD [ARG...]: run a command as postgres, in the current
# directory (which postgres must be able to enter).
as_postgres()
{
	local PG_ARGV
	postgres_argv
	"${PG_ARGV[@]}" "$@"
}

# run_limited SECONDS LOG CMD [ARG...]: run a command in a process group
# of its own, with its output both shown and appended to LOG, and kill the
# whole group when it runs longer than SECONDS (exit status 124) or when
# this script is interrupted.  Returns the command's exit status.
_HNSW_CHILD=

run_limited()
{
	local secs=$1 log=$2 pid tailpid rc=0
	shift 2
	touch "$log"
	setsid timeout -k 30 "$secs" "$@" </dev/null >>"$log" 2>&1 &
	pid=$!
	_HNSW_CHILD=$pid
	tail -n +1 -f --pid="$pid" "$log" 2>/dev/null &
	tailpid=$!
	wait "$pid" || rc=$?
	_HNSW_CHILD=
	wait "$tailpid" 2>/dev/null || true
	if [ "$rc" -eq 124 ]; then
		say "*** timed out after ${secs}s: $*" | tee -a "$log"
	fi
	return "$rc"
}

_hnsw_kill_child()
{
	if [ -n "$_HNSW_CHILD" ]; then
		kill -TERM -- "-$_HNSW_CHILD" 2>/dev/null || true
		sleep 1
		kill -KILL -- "-$_HNSW_CHILD" 2>/dev/null || true
		_HNSW_CHILD=
	fi
}

# ---------------------------------------------------------------------------
# throwaway cluster

HNSW_CLUSTER_DIR=

_hnsw_port_free()
{
	local port=$1 d rc
	# Taken if anything listens on it over TCP ...
	if command -v ss >/dev/null 2>&1 &&
		[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
		return 1
	fi
	# ... or a server has a socket for it in a usual place.
	for d in /var/run/postgresql /tmp; do
		[ -e "$d/.s.PGSQL.$port" ] && return 1
		rc=0
		"$PG_BINDIR/pg_isready" -q -h "$d" -p "$port" >/dev/null 2>&1 || rc=$?
		# 2: no answer, 3: no attempt (e.g. no such directory)
		[ "$rc" -eq 2 ] || [ "$rc" -eq 3 ] || return 1
	done
	return 0
}

_hnsw_pick_port()
{
	local port=${HNSW_PORT_BASE:-55432}
	local last=$((port + 200))
	while [ "$port" -lt "$last" ]; do
		if _hnsw_port_free "$port"; then
			printf '%s\n' "$port"
			return 0
		fi
		port=$((port + 1))
	done
	return 1
}

# init_cluster DIR PORT [postgresql.conf lines...]: initdb in DIR/data (DIR
# owned by postgres), the settings of a throwaway cluster (listening only
# on a socket in DIR, on PORT; no fsync) and the lines given, then start it
# with its log in DIR/server.log.  start_cluster makes one and exports its
# variables; bench/scale.sh makes several.
init_cluster()
{
	local dir=$1 port=$2 line
	shift 2
	(cd "$dir" && as_postgres "$PG_BINDIR/initdb" -D "$dir/data" -A trust -U postgres \
		--no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1) || {
		cat "$dir/initdb.log" >&2
		die "initdb failed"
	}
	{
		echo "# throwaway cluster for hnsw tests"
		echo "port = $port"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "max_prepared_transactions = 10"
		for line in "$@"; do
			echo "$line"
		done
	} >>"$dir/data/postgresql.conf"

	(cd "$dir" && as_postgres "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
		-w -t 60 start >/dev/null 2>&1) || {
		tail -n 40 "$dir/server.log" >&2
		die "could not start the throwaway cluster in $dir"
	}
}

# start_cluster [postgresql.conf lines...]
start_cluster()
{
	local dir port
	[ -z "$HNSW_CLUSTER_DIR" ] || die "a cluster is already running in $HNSW_CLUSTER_DIR"
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 ||
			die "there is no postgres user (is postgresql-$PG_MAJOR installed?)"
	fi

	dir=$(mktemp -d "$HNSW_TMPDIR/hnsw-pg.XXXXXX") || die "mktemp failed"
	HNSW_CLUSTER_DIR=$dir
	on_exit "stop_cluster"
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$dir" || die "chown postgres $dir failed"
	fi

	port=$(_hnsw_pick_port) || die "no free port from ${HNSW_PORT_BASE:-55432} upward"
	init_cluster "$dir" "$port" "$@"

	export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres PGDATA=$dir/data
	say "throwaway cluster running: PGHOST=$PGHOST PGPORT=$PGPORT"
}

# Stop the throwaway cluster and remove its directory.  Safe to call twice.
stop_cluster()
{
	local dir=$HNSW_CLUSTER_DIR
	[ -n "$dir" ] || return 0
	HNSW_CLUSTER_DIR=
	if [ -f "$dir/data/postmaster.pid" ]; then
		(cd "$dir" && as_postgres "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast \
			-w -t 60 stop >/dev/null 2>&1) ||
			(cd "$dir" && as_postgres "$PG_BINDIR/pg_ctl" -D "$dir/data" -m immediate \
				-w -t 30 stop >/dev/null 2>&1) || true
	fi
	rm -rf "$dir"
	unset PGHOST PGPORT PGUSER PGDATABASE PGDATA
}

# psql against the throwaway cluster, stopping at the first error.
run_psql()
{
	as_postgres psql -X -v ON_ERROR_STOP=1 "$@"
}
