--
-- sparsevec casts to and from halfvec
--
-- Errors are shown through pg_temp.sqlerr, which runs a statement and
-- returns "SQLSTATE: message" (plus " DETAIL: ..." when there is one), or
-- "ok".
--
\i sql/include/sqlerr.sql

-- the cast functions and their contexts
SELECT p.oid::regprocedure AS function, p.prorettype::regtype AS returns,
       p.prosrc, p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p
WHERE p.proname IN ('sparsevec_to_halfvec', 'halfvec_to_sparsevec')
ORDER BY p.oid::regprocedure::text;
SELECT castsource::regtype, casttarget::regtype, castfunc::regprocedure,
       castcontext, castmethod
FROM pg_cast
WHERE (castsource = 'sparsevec'::regtype AND casttarget = 'halfvec'::regtype)
   OR (castsource = 'halfvec'::regtype AND casttarget = 'sparsevec'::regtype)
ORDER BY castsource::regtype::text;

-- halfvec -> sparsevec (implicit) drops 0 and -0; widening is exact
SELECT '[0,1.5,-0,-2]'::halfvec::sparsevec;
SELECT '[0,-0]'::halfvec::sparsevec;
SELECT '[65504,-6e-8,1.23456]'::halfvec::sparsevec;
SELECT '[1,2]'::halfvec::sparsevec(2);
SELECT pg_temp.sqlerr($$SELECT '[1,2]'::halfvec::sparsevec(3)$$);
CREATE TABLE st (v sparsevec(3));
INSERT INTO st VALUES ('[1,0,3]'::halfvec);
SELECT v, v <-> '[0,0,3]'::halfvec AS l2 FROM st;
DROP TABLE st;

-- sparsevec -> halfvec (assignment): rounds to nearest even, underflow
-- gives 0, overflow is an error quoting the float4 value
SELECT '{1:1.5,3:-2}/3'::sparsevec::halfvec;
SELECT '{}/2'::sparsevec::halfvec;
SELECT '{1:1.23456,2:65519,3:-65519,4:1e-8,5:-1e-8}/5'::sparsevec::halfvec;
SELECT '{16000:1}/16000'::sparsevec::halfvec = ('{16000:1}/16000'::sparsevec::vector)::halfvec AS same;
SELECT '{1:1}/2'::sparsevec::halfvec(2);
SELECT q, pg_temp.sqlerr(q) FROM (VALUES
	($$SELECT '{1:65520}/3'::sparsevec::halfvec$$),
	($$SELECT '{2:-70000}/3'::sparsevec::halfvec$$),
	($$SELECT '{1:3.4028235e38}/1'::sparsevec::halfvec$$),
	($$SELECT '{1:1}/2'::sparsevec::halfvec(3)$$),
	($$SELECT '{}/16001'::sparsevec::halfvec$$),
	($$SELECT '{}/16001'::sparsevec::halfvec(3)$$),
	($$SELECT '{1:65520}/3'::sparsevec::halfvec(2)$$)
) v(q);
CREATE TABLE st (v halfvec(3));
INSERT INTO st VALUES ('{2:5}/3'::sparsevec);
SELECT * FROM st;
DROP TABLE st;
