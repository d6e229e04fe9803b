-- 004_usage.sql: per-method request statistics read from HAProxy's logs
-- (issue 11), for `polkfura-ctl usage`, the capacity estimate and the
-- report.
--
-- Each controller aggregates the access lines its HAProxy instances send
-- it (config key log_listen) per minute and per key (chain, method, class,
-- HTTP status class) and writes one row per key and minute. Every HAProxy
-- instance logs to one controller, so rows of different controllers of a
-- region add up; the controller is part of the key, so a replayed spool
-- (same id) or a second controller never overwrites another's minute.

CREATE TABLE rpc_minutes (
	id          text PRIMARY KEY,       -- region/controller/minute/key, chosen by the writer
	region      text NOT NULL,
	controller  text NOT NULL,          -- host/region/port of the controller that aggregated
	minute      timestamptz NOT NULL,   -- the start of the minute the controller received the lines in
	chain       text NOT NULL,          -- '' when the line named none ("-")
	method      text NOT NULL,          -- a name of the methods table, 'batch', 'other', or ''
	class       text NOT NULL,          -- the agent's class ('read', 'heavy', ...) or '-'
	status      text NOT NULL CHECK (status IN ('none', '1xx', '2xx', '3xx', '4xx', '5xx', '')),
	overflow    boolean NOT NULL DEFAULT false, -- the keys past the aggregator's cap, key fields ''
	requests    bigint NOT NULL CHECK (requests >= 0),
	errors      bigint NOT NULL CHECK (errors >= 0),   -- 5xx, or no status at all
	calls       bigint NOT NULL CHECK (calls >= 0),    -- JSON-RPC calls (a batch counts its size)
	bytes       bigint NOT NULL CHECK (bytes >= 0),    -- sent to clients (%B)
	node_ms     bigint NOT NULL CHECK (node_ms >= 0),  -- sum of %Tr where a node answered
	-- %Ta as a sparse histogram: ta_counts[i] requests took less than
	-- ta_le_ms[i] ms and at least the previous bucket's bound (the bounds
	-- of ctl/stats/hist.h; 2147483647 is the overflow bucket, 65.536 s and
	-- more). Only non-empty buckets are stored, in ascending order.
	ta_count    bigint NOT NULL CHECK (ta_count >= 0),
	ta_sum_ms   bigint NOT NULL CHECK (ta_sum_ms >= 0),
	ta_le_ms    integer[] NOT NULL DEFAULT '{}',
	ta_counts   bigint[] NOT NULL DEFAULT '{}',
	UNIQUE (region, controller, minute, chain, method, class, status, overflow),
	CHECK (date_trunc('minute', minute) = minute),
	CHECK (cardinality(ta_le_ms) = cardinality(ta_counts))
);
CREATE INDEX rpc_minutes_minute ON rpc_minutes (minute, region, chain);
