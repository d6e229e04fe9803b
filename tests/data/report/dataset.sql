-- The fixed data set of test_report (tests/data/report/README.md works out
-- by hand what the report over it must say). Loaded after `db migrate`.
-- The report window of the tests is [2026-10-31T00:00:00Z, 2026-11-02T00:00:00Z).

-- eu: s1 ends kill-style (last_seen 06:00, nothing until s2 at 08:00: 2 h of
-- no data); s2 still beats until 14:00 on 11-01, but s3 started at 12:00 and
-- wins from there. us: one session over the whole window.
INSERT INTO observer_sessions (id, region, controller, started_at, last_seen) VALUES
 ('eu-s1', 'eu', 'ctl-a/eu/9465', '2026-10-30T20:00:00Z', '2026-10-31T06:00:00Z'),
 ('eu-s2', 'eu', 'ctl-b/eu/9465', '2026-10-31T08:00:00Z', '2026-11-01T14:00:00Z'),
 ('eu-s3', 'eu', 'ctl-a/eu/9465', '2026-11-01T12:00:00Z', '2026-11-03T00:00:00Z'),
 ('us-s1', 'us', 'ctl-c/us/9465', '2026-10-29T00:00:00Z', '2026-11-05T00:00:00Z');

INSERT INTO chain_state_changes (id, session, at, region, chain, from_state, to_state,
                                 reason, nodes_total, nodes_healthy, nodes_in_rotation) VALUES
 -- eu/polkadot
 ('c01', 'eu-s1', '2026-10-30T20:00:00Z', 'eu', 'polkadot', 'nodata', 'up', '', 3, 3, 3),
 ('c02', 'eu-s1', '2026-10-30T22:00:00Z', 'eu', 'polkadot', 'up', 'down', 'no node answering', 3, 0, 3),
 ('c03', 'eu-s1', '2026-10-31T01:00:00Z', 'eu', 'polkadot', 'down', 'up', '', 3, 3, 3),
 ('c04', 'eu-s2', '2026-10-31T08:10:00Z', 'eu', 'polkadot', 'nodata', 'up', '', 3, 3, 3),
 ('c05', 'eu-s2', '2026-10-31T23:30:00Z', 'eu', 'polkadot', 'up', 'down', 'stalled', 3, 0, 3),
 ('c06', 'eu-s2', '2026-11-01T00:45:00Z', 'eu', 'polkadot', 'down', 'degraded', '', 3, 1, 3),
 ('c07', 'eu-s2', '2026-11-01T02:00:00Z', 'eu', 'polkadot', 'degraded', 'up', '', 3, 3, 3),
 -- after s3 took over at 12:00: never applies
 ('c08', 'eu-s2', '2026-11-01T13:00:00Z', 'eu', 'polkadot', 'up', 'down', 'stale session', 3, 0, 3),
 ('c09', 'eu-s3', '2026-11-01T12:00:30Z', 'eu', 'polkadot', 'nodata', 'up', '', 3, 3, 3),
 ('c10', 'eu-s3', '2026-11-01T20:00:00Z', 'eu', 'polkadot', 'up', 'down', 'no node answering', 3, 0, 3),
 ('c11', 'eu-s3', '2026-11-01T20:20:15Z', 'eu', 'polkadot', 'down', 'up', '', 3, 3, 3),
 -- eu/kusama
 ('c21', 'eu-s1', '2026-10-30T20:00:00Z', 'eu', 'kusama', 'nodata', 'up', '', 2, 2, 2),
 ('c22', 'eu-s2', '2026-10-31T08:00:00Z', 'eu', 'kusama', 'nodata', 'up', '', 2, 2, 2),
 ('c23', 'eu-s2', '2026-10-31T10:00:00Z', 'eu', 'kusama', 'up', 'degraded', 'one node lagging', 2, 1, 2),
 ('c24', 'eu-s2', '2026-10-31T11:00:00Z', 'eu', 'kusama', 'degraded', 'up', '', 2, 2, 2),
 ('c25', 'eu-s3', '2026-11-01T12:00:00Z', 'eu', 'kusama', 'nodata', 'up', '', 2, 2, 2),
 ('c26', 'eu-s3', '2026-11-01T22:00:00Z', 'eu', 'kusama', 'up', 'down', 'stalled', 2, 0, 2),
 ('c27', 'eu-s3', '2026-11-02T01:00:00Z', 'eu', 'kusama', 'down', 'up', '', 2, 2, 2),
 -- us/polkadot
 ('c31', 'us-s1', '2026-10-29T00:00:00Z', 'us', 'polkadot', 'nodata', 'up', '', 2, 2, 2),
 ('c32', 'us-s1', '2026-11-01T10:00:00Z', 'us', 'polkadot', 'up', 'down', 'no node answering', 2, 0, 2),
 ('c33', 'us-s1', '2026-11-01T10:06:00Z', 'us', 'polkadot', 'down', 'up', '', 2, 2, 2),
 -- us/kusama: first seen at 12:00 on 10-31, within the session
 ('c41', 'us-s1', '2026-10-31T12:00:00Z', 'us', 'kusama', 'nodata', 'up', '', 2, 2, 2),
 ('c42', 'us-s1', '2026-11-01T05:00:00Z', 'us', 'kusama', 'up', 'degraded', 'failing open', 2, 1, 2),
 ('c43', 'us-s1', '2026-11-01T06:00:00Z', 'us', 'kusama', 'degraded', 'down', 'stalled', 2, 0, 2),
 ('c44', 'us-s1', '2026-11-01T06:30:00Z', 'us', 'kusama', 'down', 'up', '', 2, 2, 2);

-- us/westend has samples and no state change: a chain of the report, all no data.
INSERT INTO minute_samples (id, region, chain, minute, nodes_total, nodes_healthy,
                            nodes_in_rotation, ref_height) VALUES
 ('m00', 'eu', 'polkadot', '2026-10-30T23:59:00Z', 3, 3, 3, 90),
 ('m01', 'eu', 'polkadot', '2026-10-31T23:58:00Z', 3, 3, 3, 100),
 ('m02', 'eu', 'polkadot', '2026-10-31T23:59:00Z', 3, 3, 3, 110),
 ('m03', 'eu', 'polkadot', '2026-11-01T00:00:00Z', 3, 0, 2, 120),
 ('m04', 'eu', 'polkadot', '2026-11-01T00:01:00Z', 3, 0, 2, NULL),
 ('m05', 'eu', 'polkadot', '2026-11-01T00:02:00Z', 3, 1, 2, 130),
 ('m11', 'us', 'westend', '2026-10-31T12:00:00Z', 2, 2, 2, 5000),
 ('m12', 'us', 'westend', '2026-10-31T12:01:00Z', 2, 1, 2, 5001),
 ('m13', 'us', 'westend', '2026-10-31T12:02:00Z', 2, 2, 2, 5002);

INSERT INTO incidents (id, region, chain, kind, severity, started_at, ended_at, summary, nodes) VALUES
 ('i-a', 'eu', 'polkadot', 'chain_down', 'critical', '2026-10-30T22:00:00Z', '2026-10-31T01:00:00Z',
  'no node answering', '{p-eu-1,p-eu-2}'),
 ('i-b', 'eu', 'kusama', 'chain_down', 'critical', '2026-11-01T22:00:00Z', NULL,
  'all nodes stalled at #12,345', '{k-eu-1}'),
 ('i-c', 'us', 'kusama', 'chain_degraded', 'major', '2026-11-01T05:00:00Z', '2026-11-01T06:00:00Z',
  'fewer than min_ready healthy; failing open', '{k-us-1,k-us-2}'),
 ('i-d', 'us', '', 'region_unreachable', 'major', '2026-11-01T23:00:00Z', '2026-11-02T00:30:00Z',
  'probe of the us edge /health: timeout', '{}'),
 ('i-e', 'eu', 'polkadot', 'node_out', 'minor', '2026-10-29T00:00:00Z', '2026-10-29T01:00:00Z',
  'before the window', '{p-eu-1}'),
 ('i-f', 'eu', 'polkadot', 'node_out', 'minor', '2026-10-30T23:00:00Z', '2026-10-31T00:00:00Z',
  'ends as the window starts', '{p-eu-2}'),
 ('i-g', 'us', 'polkadot', 'node_out', 'minor', '2026-11-02T00:00:00Z', NULL,
  'starts as the window ends', '{p-us-2}'),
 ('i-h', 'us', 'polkadot', 'chain_down', 'critical', '2026-11-01T10:00:00Z', '2026-11-01T10:06:00Z',
  'p-us-1 said <script>alert(1)</script> | "bad, very bad"', '{p-us-1}');

INSERT INTO operational_changes (id, at, region, kind, who, reason, summary) VALUES
 ('o0', '2026-10-31T00:00:00Z', 'us', 'undrain', 'alice@ops', 'back', 'p-us-2'),
 ('o1', '2026-10-31T08:00:00Z', 'eu', 'reload', 'ctl-b/eu/9465', '', 'nodes +1 (p-eu-3)'),
 ('o2', '2026-10-31T09:15:30Z', 'eu', 'drain', 'alice@ops', 'disk replacement', 'p-eu-2'),
 ('o3', '2026-11-01T10:30:00Z', 'us', 'note', 'bob@ops', '',
  'deployed polkadot v1.16.1; a note with <b>tags</b>, "quotes" and a | pipe'),
 ('o4', '2026-10-30T10:00:00Z', 'eu', 'note', 'bob@ops', '', 'before the window'),
 ('o5', '2026-11-02T00:00:00Z', 'eu', 'note', 'bob@ops', '', 'at the end of the window');
