-- pg_temp.sqlerr(q): run the statement q and return "ok", or the SQLSTATE
-- and message of the error it raised (with its DETAIL, when there is one),
-- so that a test shows both on one line and goes on.
-- Read by the tests that check messages (\i, from the top of the tree,
-- where pg_regress runs).
CREATE FUNCTION pg_temp.sqlerr(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	detail text;
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ': ' || SQLERRM ||
		CASE WHEN detail <> '' THEN ' DETAIL: ' || detail ELSE '' END;
END
$$;
