--
-- Hamming and Jaccard distances over the core bit type
--
\i sql/include/sqlerr.sql

-- catalog: the operators on bit, each its own commutator
SELECT oprname, oprleft::regtype, oprright::regtype, oprresult::regtype,
       oprcode, oprcom::regoperator, oprnegate::regoperator, oprrest, oprjoin
FROM pg_operator
WHERE oprname IN ('<~>', '<%>')
ORDER BY oprname;

-- catalog: both functions are immutable, strict and parallel safe
SELECT oid::regprocedure, prorettype::regtype, provolatile, proisstrict,
       proparallel
FROM pg_proc
WHERE proname IN ('hamming_distance', 'jaccard_distance')
ORDER BY proname;

-- small cases, functions and operators
SELECT hamming_distance(B'101', B'011'), B'101' <~> B'011',
       hamming_distance(B'1111', B'0000'), B'1111' <~> B'1111';
SELECT jaccard_distance(B'1100', B'1010'), B'1100' <%> B'1010',
       jaccard_distance(B'1111', B'1111'), B'1110' <%> B'0110',
       B'1000' <%> B'0100', B'0000' <%> B'0000', B'0000' <%> B'0110';

-- the operators commute
SELECT B'1101' <~> B'0111', B'0111' <~> B'1101',
       B'1101' <%> B'0111', B'0111' <%> B'1101';

-- empty strings: hamming 0, jaccard 1
SELECT hamming_distance(B'', B''), jaccard_distance(B'', B''),
       ''::varbit <~> ''::varbit, ''::varbit <%> ''::varbit,
       B'' <%> B'', B'000' <%> B'000';

-- varbit arguments, through core's binary coercion to bit
SELECT hamming_distance('101'::varbit, '011'::varbit),
       '101'::varbit <~> '011'::varbit, '101'::varbit(8) <~> B'001',
       jaccard_distance('1100'::varbit, '1010'::varbit),
       '1100'::varbit <%> '0100'::varbit;

-- NULL in, NULL out
SELECT hamming_distance(NULL, B'1') IS NULL, jaccard_distance(B'1', NULL) IS NULL,
       (NULL::bit <~> B'1') IS NULL, (B'1' <%> NULL::bit) IS NULL;

-- lengths that are not a multiple of 8 or of 64, with set bits at the ends
SELECT n,
       repeat('1', n)::varbit <~> repeat('0', n)::varbit AS all_differ,
       ('1' || repeat('0', n - 2) || '1')::varbit <~> repeat('0', n)::varbit AS ends,
       ('1' || repeat('0', n - 2) || '1')::varbit <%> repeat('1', n)::varbit AS jaccard_ends
FROM unnest(ARRAY[2, 7, 9, 15, 17, 63, 65, 127, 129, 200]) AS n
ORDER BY n;

-- substring() and other bit operations leave the unused bits of the last
-- byte at zero
SELECT substring(B'1111111111' FROM 2 FOR 5) <~> B'00000',
       (B'11111111' >> 3)::bit(5) <~> B'00000',
       substring(B'1111111111' FROM 3) <%> B'11111111';

-- long strings built with repeat()
SELECT repeat('10', 600)::varbit <~> repeat('01', 600)::varbit AS h1200,
       repeat('10', 600)::varbit <~> repeat('10', 600)::varbit AS h0,
       repeat('110', 1000)::varbit <~> repeat('011', 1000)::varbit AS h3000,
       repeat('110', 1000)::varbit <%> repeat('011', 1000)::varbit AS j3000,
       repeat('1', 4099)::varbit <%> (repeat('0', 4098) || '1')::varbit AS j4099,
       (repeat('0', 4098) || '1')::varbit <~> repeat('0', 4099)::varbit AS h4099;

-- against core's bit_count on pseudo-random strings of every length from
-- 0 to 300 and a few longer ones: both must agree exactly
CREATE TEMP TABLE bits AS
SELECT n, k,
       substring(string_agg(('x' || md5(n || ':' || k || ':' || i || 'a'))::bit(128)::text,
                            '' ORDER BY i), 1, n)::varbit AS a,
       substring(string_agg(('x' || md5(n || ':' || k || ':' || i || 'b'))::bit(128)::text,
                            '' ORDER BY i), 1, n)::varbit AS b
FROM generate_series(0, 300) AS n, generate_series(1, 3) AS k,
     generate_series(0, 2) AS i
GROUP BY n, k
UNION ALL
SELECT n, 1,
       substring(string_agg(('x' || md5(n || ':' || i || 'a'))::bit(128)::text,
                            '' ORDER BY i), 1, n)::varbit,
       substring(string_agg(('x' || md5(n || ':' || i || 'b'))::bit(128)::text,
                            '' ORDER BY i), 1, n)::varbit
FROM unnest(ARRAY[511, 512, 513, 1000, 1024, 2049, 4100, 64000]) AS n,
     generate_series(0, 500) AS i
GROUP BY n;

SELECT count(*) AS pairs,
       count(*) FILTER (WHERE length(a) = n AND length(b) = n) AS right_length,
       count(*) FILTER (WHERE (a <~> b) <> bit_count(a # b)) AS hamming_wrong,
       count(*) FILTER (WHERE hamming_distance(b, a) <> (a <~> b)) AS hamming_asym,
       count(*) FILTER (WHERE (a <%> b) <>
                        CASE WHEN bit_count(a & b) = 0 THEN 1
                             ELSE 1 - bit_count(a & b)::float8 / bit_count(a | b) END)
           AS jaccard_wrong,
       count(*) FILTER (WHERE jaccard_distance(b, a) <> (a <%> b)) AS jaccard_asym,
       count(*) FILTER (WHERE (a <~> a) <> 0 OR
                        (a <%> a) <> CASE WHEN bit_count(a) = 0 THEN 1 ELSE 0 END)
           AS self_wrong
FROM bits;

-- mismatched lengths
SELECT pg_temp.sqlerr($$SELECT hamming_distance(B'101', B'10')$$);
SELECT pg_temp.sqlerr($$SELECT B'1' <~> B''$$);
SELECT pg_temp.sqlerr($$SELECT jaccard_distance(B'10', B'101')$$);
SELECT pg_temp.sqlerr($$SELECT ''::varbit <%> B'00000000'$$);
SELECT pg_temp.sqlerr($$SELECT repeat('1', 1000)::varbit <~> repeat('1', 1001)::varbit$$);

-- binary_quantize(vector) composed with the distances
SELECT binary_quantize('[1,-1,2,0]'::vector), binary_quantize('[1,1,-2,3]'::vector),
       binary_quantize('[1,-1,2,0]'::vector) <~> binary_quantize('[1,1,-2,3]'::vector),
       binary_quantize('[1,-1,2,0]'::vector) <%> binary_quantize('[1,1,-2,3]'::vector);
SELECT hamming_distance(binary_quantize('[1,2,3,4,5,6,7,8,9]'::vector),
                        binary_quantize('[-1,2,-3,4,-5,6,-7,8,-9]'::vector)),
       jaccard_distance(binary_quantize('[1,2,3,4,5,6,7,8,9]'::vector),
                        binary_quantize('[-1,2,-3,4,-5,6,-7,8,-9]'::vector));
SELECT binary_quantize(array_fill(1, ARRAY[1000])::vector) <~>
       binary_quantize(array_fill(-1, ARRAY[1000])::vector) AS h1000,
       binary_quantize(array_fill(1, ARRAY[1000])::vector) <%>
       binary_quantize(array_fill(-1, ARRAY[1000])::vector) AS j1000;
SELECT pg_temp.sqlerr($$SELECT binary_quantize('[1,2,3]'::vector) <~> binary_quantize('[1,2]'::vector)$$);
