\echo Use "ALTER EXTENSION hnsw UPDATE TO '0.2.0'" to load this file. \quit

-- hnsw 0.2.0: the halfvec and sparsevec types, distance functions over
-- the core bit type, and hnsw operator classes for all three.

--------------------------------------------------------------------------
-- halfvec
--
-- The type, its casts, operators, functions, aggregates and btree class.
--------------------------------------------------------------------------

-- (halfvec objects)

--------------------------------------------------------------------------
-- end of halfvec
--
--
--------------------------------------------------------------------------

--------------------------------------------------------------------------
-- sparsevec
--
-- The type, its casts, operators, functions and btree class.
--------------------------------------------------------------------------

-- (sparsevec objects)

--------------------------------------------------------------------------
-- end of sparsevec
--
--
--------------------------------------------------------------------------

--------------------------------------------------------------------------
-- bit
--
-- Distance functions and operators over the core bit type.
--------------------------------------------------------------------------

CREATE FUNCTION hamming_distance(bit, bit) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION jaccard_distance(bit, bit) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR <~> (
	LEFTARG = bit, RIGHTARG = bit, PROCEDURE = hamming_distance,
	COMMUTATOR = '<~>'
);

CREATE OPERATOR <%> (
	LEFTARG = bit, RIGHTARG = bit, PROCEDURE = jaccard_distance,
	COMMUTATOR = '<%>'
);

--------------------------------------------------------------------------
-- end of bit
--
--
--------------------------------------------------------------------------

--------------------------------------------------------------------------
-- hnsw operator classes for halfvec, sparsevec and bit
--------------------------------------------------------------------------

-- (operator classes)
