# Makefile for the hnsw extension (PGXS)

EXTENSION = hnsw
EXTVERSION = 0.4.0

MODULE_big = hnsw
OBJS = \
	src/bitvec.o \
	src/halfvec.o \
	src/halfvec_parse.o \
	src/hnsw.o \
	src/hnswbuild.o \
	src/hnswcheck.o \
	src/hnswcode.o \
	src/hnswcost.o \
	src/hnswdisk.o \
	src/hnswgraph.o \
	src/hnswinsert.o \
	src/hnswlist.o \
	src/hnswpage.o \
	src/hnswregion.o \
	src/hnswscan.o \
	src/hnswspace.o \
	src/hnswutils.o \
	src/hnswvacuum.o \
	src/hnswvalidate.o \
	src/hnswvalue.o \
	src/hnsw_distance.o \
	src/sparsevec.o \
	src/sparsevec_parse.o \
	src/vector.o \
	src/vector_parse.o

HEADERS = src/vector.h src/halfvec.h src/halfutils.h src/sparsevec.h

DATA = $(wildcard hnsw--*.sql)

# pg_regress: every sql/*.sql file, in name order
TESTS = $(sort $(wildcard sql/*.sql))
REGRESS = $(patsubst sql/%.sql,%,$(TESTS))
REGRESS_OPTS = --inputdir=. --load-extension=hnsw

# TAP tests (run by "make prove_installcheck")
TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))

# isolation specs: every test/isolation/specs/*.spec, in name order; each
# turns autovacuum off for its own tables
ISOLATION = $(patsubst test/isolation/specs/%.spec,%,$(sort $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=output_iso --load-extension=hnsw

# Portable code only: never -march=native.  SIMD kernels select their
# instruction sets per function with target attributes and are chosen at
# load time by cpuid.
PG_CFLAGS = -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-sign-compare -Wno-clobbered -O2 -fno-math-errno \
	-fno-semantic-interposition

EXTRA_CLEAN = test/kernels/test_kernels test/fuzz/fuzz_*_parse results regression.diffs regression.out tmp_check output_iso

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild everything when a header changes
$(OBJS): $(wildcard src/*.h)
