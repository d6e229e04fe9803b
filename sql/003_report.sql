-- 003_report.sql: the uptime, incident and operational-changes report
-- (issue 10) as SQL functions, so that `polkfura-ctl report` and an analyst
-- with psql get the same numbers from the same definitions:
--
--   SELECT * FROM report_uptime('2026-11-01', '2026-12-01');
--   SELECT * FROM report_timeline('2026-11-01', '2026-12-01', 'eu1', 'polkadot');
--   SELECT * FROM report_months('2026-01-01', '2027-01-01');
--   SELECT * FROM report_incidents('2026-11-01', '2026-12-01');
--   SELECT * FROM report_changes('2026-11-01', '2026-12-01');
--
-- Every function takes the window [p_from, p_to) as given (polkfura-ctl
-- clips a future p_to to now() first) and the filters p_region, p_chain
-- (NULL: all). Durations are seconds as numeric, from epoch arithmetic on
-- timestamptz, never rounded here: the report rounds when it prints. The
-- definitions are those of README.md, "Uptime":
--
-- * A session of a region covers [started_at, effective end), where the
--   effective end is least(last_seen, the start of the region's next
--   session): a newer session wins from its own start. Time of the window
--   outside every session of a region is "nodata" for each of its chains.
-- * Within a session, a chain's state at t is the to_state of that
--   session's latest chain_state_changes row for the chain with at <= t;
--   rows of other sessions never apply, and before the session's first row
--   for the chain the state is "nodata".
-- * up and degraded count as up; down and nodata do not.
-- * The chains of a region are those with any chain_state_changes or
--   minute_samples row in it.
--
-- The functions set TimeZone to UTC for their own run, so that calendar
-- months (report_months) are UTC months whatever the caller's setting.

-- Sessions with their effective end.
CREATE FUNCTION report_sessions()
RETURNS TABLE (id text, region text, started_at timestamptz, ends_at timestamptz)
LANGUAGE sql STABLE
SET TimeZone = 'UTC'
AS $$
	SELECT s.id, s.region, s.started_at,
	       -- least() skips the NULL of the newest session
	       least(s.last_seen,
	             lead(s.started_at) OVER (PARTITION BY s.region ORDER BY s.started_at, s.id))
	FROM observer_sessions s
$$;

-- Every (region, chain) the report knows. Both tables have an index that
-- starts with (region, chain): the recursive CTEs step from one pair to the
-- next through it instead of reading a year of samples for DISTINCT.
CREATE FUNCTION report_chains(p_region text DEFAULT NULL, p_chain text DEFAULT NULL)
RETURNS TABLE (region text, chain text)
LANGUAGE sql STABLE
SET TimeZone = 'UTC'
AS $$
	WITH RECURSIVE
	ms (region, chain) AS (
		(SELECT m.region, m.chain FROM minute_samples m ORDER BY m.region, m.chain LIMIT 1)
		UNION ALL
		SELECT n.region, n.chain FROM ms, LATERAL (
			SELECT m.region, m.chain FROM minute_samples m
			WHERE (m.region, m.chain) > (ms.region, ms.chain)
			ORDER BY m.region, m.chain LIMIT 1) n
	),
	cs (region, chain) AS (
		(SELECT c.region, c.chain FROM chain_state_changes c ORDER BY c.region, c.chain LIMIT 1)
		UNION ALL
		SELECT n.region, n.chain FROM cs, LATERAL (
			SELECT c.region, c.chain FROM chain_state_changes c
			WHERE (c.region, c.chain) > (cs.region, cs.chain)
			ORDER BY c.region, c.chain LIMIT 1) n
	)
	SELECT u.region, u.chain FROM (SELECT * FROM ms UNION SELECT * FROM cs) u
	WHERE (p_region IS NULL OR u.region = p_region)
	  AND (p_chain IS NULL OR u.chain = p_chain)
	ORDER BY 1, 2
$$;

-- The window cut into segments per (region, chain): state up, degraded,
-- down or nodata, [t0, t1), seconds = t1 - t0. The segments of one
-- (region, chain) do not overlap and cover the window exactly.
CREATE FUNCTION report_timeline(p_from timestamptz, p_to timestamptz,
                                p_region text DEFAULT NULL, p_chain text DEFAULT NULL)
RETURNS TABLE (region text, chain text, state text, t0 timestamptz, t1 timestamptz,
               seconds numeric)
LANGUAGE sql STABLE
SET TimeZone = 'UTC'
AS $$
	WITH
	chains AS (SELECT * FROM report_chains(p_region, p_chain)),
	rows AS (
		-- each row holds until the session's next row for the chain, or the session's end
		SELECT c.region, c.chain, c.to_state AS state,
		       greatest(c.at, s.started_at) AS t0,
		       least(coalesce(lead(c.at) OVER (PARTITION BY c.session, c.chain
		                                       ORDER BY c.at, c.id), s.ends_at),
		             s.ends_at) AS t1
		FROM chain_state_changes c
		JOIN report_sessions() s ON s.id = c.session AND s.region = c.region
		JOIN chains ch ON ch.region = c.region AND ch.chain = c.chain
		WHERE s.started_at < p_to AND s.ends_at > p_from
	),
	seg AS (
		SELECT r.region, r.chain, r.state, greatest(r.t0, p_from) AS t0,
		       least(r.t1, p_to) AS t1
		FROM rows r
		WHERE r.t0 < p_to AND r.t1 > p_from AND r.t1 > r.t0
	),
	gaps AS (
		-- what precedes each segment (or the whole window of a chain without one)
		SELECT ch.region, ch.chain,
		       coalesce(lag(g.t1) OVER (PARTITION BY ch.region, ch.chain ORDER BY g.t0),
		                p_from) AS t0,
		       coalesce(g.t0, p_to) AS t1
		FROM chains ch LEFT JOIN seg g USING (region, chain)
		UNION ALL
		-- what follows the last segment
		SELECT g.region, g.chain, max(g.t1), p_to FROM seg g GROUP BY g.region, g.chain
	),
	alls AS (
		SELECT g.region, g.chain, g.state, g.t0, g.t1 FROM seg g
		UNION ALL
		SELECT g.region, g.chain, 'nodata', g.t0, g.t1 FROM gaps g WHERE g.t0 < g.t1
	)
	SELECT a.region, a.chain, a.state, a.t0, a.t1,
	       extract(epoch FROM a.t1) - extract(epoch FROM a.t0)
	FROM alls a
	ORDER BY 1, 2, 4
$$;

-- Uptime per region and chain (scope 'region'), per chain across regions
-- (scope 'chain', region NULL) and over everything (scope 'total', region
-- and chain NULL). The overall rows add up seconds; they never average
-- percentages. target_met: uptime >= 99 %, on the unrounded seconds.
CREATE FUNCTION report_uptime(p_from timestamptz, p_to timestamptz,
                              p_region text DEFAULT NULL, p_chain text DEFAULT NULL)
RETURNS TABLE (scope text, region text, chain text, window_s numeric, up_s numeric,
               down_s numeric, nodata_s numeric, uptime_pct numeric, down_min numeric,
               nodata_min numeric, target_met boolean)
LANGUAGE sql STABLE
SET TimeZone = 'UTC'
AS $$
	WITH
	rc AS (
		SELECT t.region, t.chain,
		       extract(epoch FROM p_to) - extract(epoch FROM p_from) AS w,
		       coalesce(sum(t.seconds) FILTER (WHERE t.state IN ('up', 'degraded')), 0) AS up,
		       coalesce(sum(t.seconds) FILTER (WHERE t.state = 'down'), 0) AS down
		FROM report_timeline(p_from, p_to, p_region, p_chain) t
		GROUP BY t.region, t.chain
	),
	agg AS (
		SELECT CASE WHEN grouping(rc.region) = 0 THEN 'region'
		            WHEN grouping(rc.chain) = 0 THEN 'chain' ELSE 'total' END AS scope,
		       rc.region, rc.chain, sum(rc.w) AS w, sum(rc.up) AS up, sum(rc.down) AS down
		FROM rc
		GROUP BY GROUPING SETS ((rc.region, rc.chain), (rc.chain), ())
	)
	SELECT a.scope, a.region, a.chain, a.w, a.up, a.down, a.w - a.up - a.down,
	       CASE WHEN a.w > 0 THEN 100 * a.up / a.w END,
	       a.down / 60, (a.w - a.up - a.down) / 60,
	       a.w > 0 AND 100 * a.up >= 99 * a.w
	FROM agg a
	WHERE a.w IS NOT NULL
	ORDER BY CASE a.scope WHEN 'region' THEN 0 WHEN 'chain' THEN 1 ELSE 2 END,
	         a.region, a.chain
$$;

-- Month by month: each UTC calendar month that overlaps the window, cut to
-- the window, per region and chain: the uptime figures as report_uptime,
-- and from minute_samples (minute in the month and the window) how many
-- minutes were sampled, the average nodes healthy and in rotation, and the
-- reference height of the first and the last sample.
CREATE FUNCTION report_months(p_from timestamptz, p_to timestamptz,
                              p_region text DEFAULT NULL, p_chain text DEFAULT NULL)
RETURNS TABLE (month text, region text, chain text, window_s numeric, up_s numeric,
               down_s numeric, nodata_s numeric, uptime_pct numeric, down_min numeric,
               nodata_min numeric, target_met boolean, samples bigint,
               avg_healthy numeric, avg_in_rotation numeric,
               first_ref_height bigint, last_ref_height bigint)
-- plpgsql, not sql: its query is planned with the window's values, so the
-- planner knows it reads a year of samples and aggregates them with a hash
-- (a sql function's plan is made for any window and sorted 3 million rows,
-- 2.5 s more in tests/bench/report_bench.sh). JIT would cost more than it saves.
LANGUAGE plpgsql STABLE
SET TimeZone = 'UTC'
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	-- the first instant of each month that overlaps the window, in order
	starts timestamptz[] := ARRAY(
		SELECT generate_series(date_trunc('month', p_from), p_to - interval '1 microsecond',
		                       interval '1 month')
		WHERE p_from < p_to);
BEGIN
	RETURN QUERY
	WITH
	months AS (
		SELECT greatest(m, p_from) AS m0, least(m + interval '1 month', p_to) AS m1,
		       to_char(m, 'YYYY-MM') AS label
		FROM unnest(starts) AS m
	),
	cut AS (
		SELECT mo.label, mo.m0, mo.m1, t.region, t.chain, t.state,
		       extract(epoch FROM least(t.t1, mo.m1)) -
		       extract(epoch FROM greatest(t.t0, mo.m0)) AS secs
		FROM report_timeline(p_from, p_to, p_region, p_chain) t
		JOIN months mo ON t.t0 < mo.m1 AND t.t1 > mo.m0
	),
	up AS (
		SELECT c.label, c.m0, c.m1, c.region, c.chain,
		       extract(epoch FROM c.m1) - extract(epoch FROM c.m0) AS w,
		       coalesce(sum(c.secs) FILTER (WHERE c.state IN ('up', 'degraded')), 0) AS up,
		       coalesce(sum(c.secs) FILTER (WHERE c.state = 'down'), 0) AS down
		FROM cut c
		GROUP BY c.label, c.m0, c.m1, c.region, c.chain
	),
	samp AS (
		-- one pass over the window's samples: a binary search in starts per row (cheaper
		-- than date_trunc in a time zone), to_char once per group
		SELECT g.region, g.chain, to_char(starts[g.b], 'YYYY-MM') AS label, g.n, g.healthy,
		       g.rot
		FROM (SELECT m.region, m.chain, width_bucket(m.minute, starts) AS b, count(*) AS n,
		             avg(m.nodes_healthy) AS healthy, avg(m.nodes_in_rotation) AS rot
		      FROM minute_samples m
		      WHERE m.minute >= p_from AND m.minute < p_to
		        AND (p_region IS NULL OR m.region = p_region)
		        AND (p_chain IS NULL OR m.chain = p_chain)
		      GROUP BY 1, 2, 3) g
	)
	SELECT u.label, u.region, u.chain, u.w, u.up, u.down, u.w - u.up - u.down,
	       100 * u.up / u.w, u.down / 60, (u.w - u.up - u.down) / 60,
	       100 * u.up >= 99 * u.w,
	       coalesce(s.n, 0), s.healthy, s.rot,
	       (SELECT m.ref_height FROM minute_samples m
	        WHERE m.region = u.region AND m.chain = u.chain
	          AND m.minute >= u.m0 AND m.minute < u.m1
	        ORDER BY m.minute LIMIT 1),
	       (SELECT m.ref_height FROM minute_samples m
	        WHERE m.region = u.region AND m.chain = u.chain
	          AND m.minute >= u.m0 AND m.minute < u.m1
	        ORDER BY m.minute DESC LIMIT 1)
	FROM up u
	LEFT JOIN samp s ON s.region = u.region AND s.chain = u.chain AND s.label = u.label
	ORDER BY 1, 2, 3;
END
$$;

-- Incidents that overlap the window: started before its end and not ended
-- by its start. duration_s runs to ended_at, or to p_to while open. A
-- region-wide incident (chain '') is listed under every chain filter.
CREATE FUNCTION report_incidents(p_from timestamptz, p_to timestamptz,
                                 p_region text DEFAULT NULL, p_chain text DEFAULT NULL)
RETURNS TABLE (id text, region text, chain text, kind text, severity text,
               started_at timestamptz, ended_at timestamptz, duration_s numeric,
               summary text, nodes text[])
LANGUAGE sql STABLE
SET TimeZone = 'UTC'
AS $$
	SELECT i.id, i.region, i.chain, i.kind, i.severity, i.started_at, i.ended_at,
	       extract(epoch FROM coalesce(i.ended_at, p_to)) - extract(epoch FROM i.started_at),
	       i.summary, i.nodes
	FROM incidents i
	WHERE i.started_at < p_to AND (i.ended_at IS NULL OR i.ended_at > p_from)
	  AND (p_region IS NULL OR i.region = p_region)
	  AND (p_chain IS NULL OR i.chain = p_chain OR i.chain = '')
	ORDER BY i.started_at, i.region, i.chain, i.id
$$;

-- Operational changes in [p_from, p_to), in time order. They belong to a
-- region, not a chain: p_region filters them, a chain filter does not.
CREATE FUNCTION report_changes(p_from timestamptz, p_to timestamptz,
                               p_region text DEFAULT NULL)
RETURNS TABLE (id text, at timestamptz, region text, kind text, who text, reason text,
               summary text)
LANGUAGE sql STABLE
SET TimeZone = 'UTC'
AS $$
	SELECT o.id, o.at, o.region, o.kind, o.who, o.reason, o.summary
	FROM operational_changes o
	WHERE o.at >= p_from AND o.at < p_to
	  AND (p_region IS NULL OR o.region = p_region)
	ORDER BY o.at, o.region, o.id
$$;
