-- 001_schema.sql: what the controllers record, for the uptime, incident
-- and operational-changes report (issue 10).
--
-- Applied by `polkfura-ctl db migrate`, inside one transaction that it
-- opens itself (so no BEGIN/COMMIT here), and recorded with the file's
-- SHA-256 in polkfura_migrations: once applied, this file must not change;
-- later changes go in 002_*.sql and up.
--
-- Every record row carries an id chosen by the controller that wrote it
-- (text: a UUID or any string unique per record), so that replaying a
-- spool after a crash can use INSERT ... ON CONFLICT (id) DO NOTHING and
-- never count a record twice. Every row names its region: all regions
-- write to one database. Times are timestamptz, stored in UTC; the time of
-- a record is when the controller observed it, not when it was inserted.

-- One row per change of a node's state as the controller decided it
-- (for example ready -> lagging). Downtime is computed from these.
CREATE TABLE node_state_changes (
	id          text PRIMARY KEY,
	at          timestamptz NOT NULL,   -- when the controller observed the change
	region      text NOT NULL,
	chain       text NOT NULL,
	node        text NOT NULL,
	from_state  text NOT NULL,          -- the controller's state names (ctl/node.h)
	to_state    text NOT NULL,
	reason      text NOT NULL DEFAULT '', -- why, as the controller logs it
	best        bigint,                 -- the node's best block then (NULL: not known)
	finalized   bigint,                 -- its finalized block
	lag         bigint,                 -- blocks behind the chain's reference head
	peers       integer                 -- its peer count
);
CREATE INDEX node_state_changes_chain_at ON node_state_changes (region, chain, at);

-- Incidents, opened and closed by the controller that holds the region's
-- lock. ended_at is NULL while the incident is open.
CREATE TABLE incidents (
	id          text PRIMARY KEY,
	region      text NOT NULL,
	chain       text NOT NULL,          -- '' for a region-wide incident (region unreachable)
	kind        text NOT NULL,          -- node_out, chain_degraded, chain_down, chain_stall,
	                                    -- region_unreachable
	severity    text NOT NULL,          -- e.g. minor, major, critical
	started_at  timestamptz NOT NULL,
	ended_at    timestamptz,
	summary     text NOT NULL DEFAULT '',
	nodes       text[] NOT NULL DEFAULT '{}', -- the nodes involved
	CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX incidents_chain_started ON incidents (region, chain, started_at);

-- Operational changes: config reloads (with a diff summary), drain and
-- undrain (with who and why), and `polkfura-ctl note` for deploys and
-- maintenance.
CREATE TABLE operational_changes (
	id          text PRIMARY KEY,
	at          timestamptz NOT NULL,
	region      text NOT NULL,
	kind        text NOT NULL,          -- reload, drain, undrain, note
	who         text NOT NULL DEFAULT '', -- user or address that asked
	reason      text NOT NULL DEFAULT '',
	summary     text NOT NULL DEFAULT ''
);
CREATE INDEX operational_changes_at ON operational_changes (region, at);

-- One sample per chain, region and minute, for the history: how many
-- nodes there were, how many healthy, how many in rotation, and the
-- chain's reference height. A minute without a row is a minute without
-- data (the controller was not running), never a minute of uptime.
CREATE TABLE minute_samples (
	id          text PRIMARY KEY,
	region      text NOT NULL,
	chain       text NOT NULL,
	minute      timestamptz NOT NULL,   -- the start of the minute
	nodes_total       integer NOT NULL,
	nodes_healthy     integer NOT NULL,
	nodes_in_rotation integer NOT NULL,
	ref_height  bigint,                 -- NULL: no node answered
	UNIQUE (region, chain, minute),
	CHECK (date_trunc('minute', minute) = minute),
	CHECK (0 <= nodes_healthy AND nodes_healthy <= nodes_total),
	CHECK (0 <= nodes_in_rotation AND nodes_in_rotation <= nodes_total)
);
