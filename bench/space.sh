#!/bin/bash
#-------------------------------------------------------------------------
#
# space.sh
#	  Bytes per vector of an HNSW index across dimensions: for each
#	  dimension, N seeded random vectors in a vector(d) column, one index
#	  per system and type (vector_l2_ops on the column, halfvec_l2_ops on
#	  its cast to halfvec(d)), and pg_relation_size(index) / N, also as a
#	  multiple of the values' own bytes (4d for vector, 2d for halfvec).
#	  A system that refuses an index (too many dimensions) gets "n/a".
#	  Prints a markdown table.  See bench/README.md.
#
# IDENTIFICATION
#	  bench/space.sh
#
#-------------------------------------------------------------------------
set -euo pipefail

. "$(dirname "$0")/lib.sh"

USAGE=$(cat <<'EOF'
  --ext NAME         extension under test (default hnsw)
  --peer NAME        also run this extension, e.g. vector (pgvector), if installed
  --dims LIST        dimensions (default 500,1000,1024,1536,2000,2001,3072,4096,8000,16000)
  --types LIST       any of vector,halfvec (default both)
  --kind KIND        data: uniform (default) or clustered, as in ann.sh
  --n N              rows per dimension (default 2000)
  --seed S           seed of the data (default 42)
  --m M              index option m (default 16)
  --efc N            index option ef_construction (default 64)
  --shared-buffers S shared_buffers of the cluster (default 2GB)
  --out DIR          results directory (default bench/results/<timestamp>-space)
  --quick            smoke test: 500 rows, dimensions 1000,2000,2001,4096
EOF
)

DIMS=500,1000,1024,1536,2000,2001,3072,4096,8000,16000
TYPES=vector,halfvec
KIND=uniform
N=2000
SHARED_BUFFERS=2GB

parse_options dims=DIMS types=TYPES kind=KIND shared-buffers=SHARED_BUFFERS -- "$@"

if [ "$QUICK" = 1 ]; then
	N=500
	[[ " $ORIG_ARGS " == *" --dims "* ]] || DIMS=1000,2000,2001,4096
fi
for t in ${TYPES//,/ }; do
	case "$t" in vector | halfvec) ;; *) die "unknown type $t (vector or halfvec)" ;; esac
done
case "$KIND" in uniform | clustered) ;; *) die "--kind is uniform or clustered" ;; esac

bench_build

#------------------------------------------------------------------- data

# The N vectors of dimension $1: "vbench data synth", cached in bench/data
space_data() {
	local f=$DATA/space-$KIND-n$N-d$1-s$SEED.fvecs
	mkdir -p "$DATA"
	[ -s "$f" ] || "$VB" data synth --kind "$KIND" --n "$N" --dim "$1" --seed "$SEED" "$f" 2>/dev/null
	echo "$f"
}

#---------------------------------------------------------------- cluster

bench_cluster "fsync = off" "synchronous_commit = off" "full_page_writes = off"
resolve_systems

OUT=${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)-space}
mkdir -p "$OUT"
META=$OUT/meta.txt
CSV=$OUT/space.csv
echo "label,type,dim,rows,build_s,index_bytes,bytes_per_row,value_bytes,ratio,error" >"$CSV"

{
	meta_begin space.sh "$ORIG_ARGS"
	echo "dataset: $N rows per dimension, vbench data synth --kind $KIND --n $N --dim D --seed $SEED (uniform: every value uniform in [-1,1))"
	echo "parameters: dims=$DIMS types=$TYPES m=$M ef_construction=$EFC"
	echo "table: items (id int4, embedding vector(D)), COPY binary, VACUUM FREEZE ANALYZE"
	echo "index vector: CREATE INDEX ON items USING hnsw (embedding vector_l2_ops) WITH (m = $M, ef_construction = $EFC)"
	echo "index halfvec: CREATE INDEX ON items USING hnsw ((embedding::halfvec(D)) halfvec_l2_ops) WITH (m = $M, ef_construction = $EFC)"
	echo "measure: pg_relation_size(index) / rows; ratio: that / (4 D) for vector, / (2 D) for halfvec"
	echo "systems: ${SYSTEMS[*]}"
	meta_settings
} >"$META"

for sys in "${SYSTEMS[@]}"; do
	system_db "$sys"
done

#------------------------------------------------------------------- runs

for dim in ${DIMS//,/ }; do
	f=$(space_data "$dim")
	for sys in "${SYSTEMS[@]}"; do
		log "$sys: $N x $dim"
		"$VB" ann load --conn "$(conninfo "bench_$sys")" --base "$f" >/dev/null
		for type in ${TYPES//,/ }; do
			if [ "$type" = vector ]; then
				using="embedding vector_l2_ops"
				vbytes=$((4 * dim))
			else
				using="(embedding::halfvec($dim)) halfvec_l2_ops"
				vbytes=$((2 * dim))
			fi
			if b=$("$VB" ann build --conn "$(conninfo "bench_$sys")" --m "$M" --efc "$EFC" \
				--using "$using" --index items_space_idx 2>"$OUT/err.txt"); then
				secs=${b%,*}
				bytes=${b#*,}
				per=$(awk -v b="$bytes" -v n="$N" 'BEGIN { printf "%.1f", b / n }')
				ratio=$(awk -v b="$bytes" -v n="$N" -v v="$vbytes" 'BEGIN { printf "%.3f", b / n / v }')
				echo "$sys,$type,$dim,$N,$secs,$bytes,$per,$vbytes,$ratio," >>"$CSV"
				log "$sys $type($dim): $per bytes per row, $ratio x $vbytes, built in $secs s"
				sql "bench_$sys" -c "DROP INDEX items_space_idx"
			else
				# refused: keep the server's reason
				err=$(grep -m1 -o 'ERROR:.*' "$OUT/err.txt" | tr -d ',"' || true)
				[ -n "$err" ] || die "$sys $type($dim): $(cat "$OUT/err.txt")"
				echo "$sys,$type,$dim,$N,,,,$vbytes,,$err" >>"$CSV"
				log "$sys $type($dim): n/a ($err)"
			fi
		done
	done
done
rm -f "$OUT/err.txt"

meta_end >>"$META"

python3 "$BENCH/report.py" space "$OUT"
log "results in $OUT"
