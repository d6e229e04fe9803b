-- 002_observation.sql: what the report needs besides 001 to tell up from
-- down from "no data" at second precision.
--
-- A node's READY/DRAIN state (node_state_changes) does not say whether the
-- chain was served: a node kept in rotation by the min_ready floor is READY
-- but unhealthy, and a stall drains nobody. So the controller also records
-- the chain's own state whenever it changes, and the time it was watching.

-- One row per controller session that held its region's lock: from the
-- first decision after it took the lock to the last heartbeat it wrote.
-- Time outside every session of a region is "no data". Heartbeats are
-- upserts (last_seen only moves forward), so a replayed spool is harmless.
CREATE TABLE observer_sessions (
	id          text PRIMARY KEY,
	region      text NOT NULL,
	controller  text NOT NULL,          -- host/region/port of the controller
	started_at  timestamptz NOT NULL,
	last_seen   timestamptz NOT NULL,
	CHECK (last_seen >= started_at)
);
CREATE INDEX observer_sessions_region ON observer_sessions (region, started_at);

-- One row per change of a chain's state in a region, within a session.
-- The first row of a session has from_state 'nodata'. States:
--   up        at least one healthy node in rotation, and min_ready of them
--   degraded  at least one healthy node in rotation, fewer than min_ready
--             (the floor keeps unhealthy ones in: failing open)
--   down      no healthy node in rotation: no node answering, the chain
--             stalled, or only nodes the floor keeps in
-- Uptime counts up and degraded as up (README "Uptime").
CREATE TABLE chain_state_changes (
	id          text PRIMARY KEY,
	session     text NOT NULL,          -- observer_sessions.id
	at          timestamptz NOT NULL,
	region      text NOT NULL,
	chain       text NOT NULL,
	from_state  text NOT NULL CHECK (from_state IN ('nodata', 'up', 'degraded', 'down')),
	to_state    text NOT NULL CHECK (to_state IN ('up', 'degraded', 'down')),
	reason      text NOT NULL DEFAULT '',
	nodes_total       integer NOT NULL,
	nodes_healthy     integer NOT NULL,  -- deserve traffic and are in rotation
	nodes_in_rotation integer NOT NULL
);
CREATE INDEX chain_state_changes_at ON chain_state_changes (region, chain, at);
CREATE INDEX chain_state_changes_session ON chain_state_changes (session, chain, at);
