#!/bin/bash
#-------------------------------------------------------------------------
#
# run.sh
#	  Build and install hnsw, then run demo/demo.sql in a throwaway
#	  cluster that is removed afterwards.
#
# Run as root on Debian 12:   bash demo/run.sh
#
# IDENTIFICATION
#	  demo/run.sh
#
#-------------------------------------------------------------------------

set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"

step "dependencies"
ensure_deps

step "build and install"
build_install

step "throwaway cluster"
start_cluster

step "demo: demo/demo.sql"
# The script goes in on stdin: postgres need not be able to read the tree.
cd "$PGHOST"
run_psql -q -f - <"$HNSW_TOP/demo/demo.sql"

step "done; removing the throwaway cluster"
