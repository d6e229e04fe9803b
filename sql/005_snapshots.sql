-- 005_snapshots.sql: one row per `polkfura-ctl snapshot publish` of a chain
-- (issue 13), successful or not, written by the publisher itself at the end
-- of that chain's publish. The "snapshot too old" question is answered from
-- the rows with outcome 'ok'; the failed ones say why the last days have none.

CREATE TABLE snapshots (
	id          text PRIMARY KEY,         -- random, chosen by the publisher ("snap-<32 hex>")
	region      text NOT NULL,            -- the config's region; '' when it has none
	host        text NOT NULL,            -- the publisher's host name
	chain       text NOT NULL,
	snapshot    text,                     -- "<height>-<8 hex of the hash>"; NULL when the node was not read
	height      bigint CHECK (height >= 0),
	block_hash  text CHECK (block_hash ~ '^0x[0-9a-f]{64}$'),
	started     timestamptz NOT NULL,
	finished    timestamptz NOT NULL CHECK (finished >= started),
	duration_ms bigint NOT NULL CHECK (duration_ms >= 0),
	bytes       bigint NOT NULL DEFAULT 0 CHECK (bytes >= 0),  -- what was uploaded (the tar's size)
	targets     text[] NOT NULL DEFAULT '{}', -- "s3_tar", "s3_files", ... the targets configured
	outcome     text NOT NULL CHECK (outcome IN ('ok', 'skipped', 'failed')),
	error       text,                     -- the reason when outcome is 'failed'
	CHECK ((outcome = 'failed') = (error IS NOT NULL)),
	CHECK (outcome = 'failed' OR (height IS NOT NULL AND block_hash IS NOT NULL))
);
CREATE INDEX snapshots_chain_finished ON snapshots (chain, finished DESC);
