-- 006_snapshot_cids.sql: the CIDs of a publish's IPFS copies (issue 13,
-- snapshot.ipfs in ctl/CONFIG.md), NULL when the publish added none: the
-- files as one directory, the tar as one file, each the CIDv1 in base32
-- that the manifest's artifact carries (docs/snapshot-format.md).

ALTER TABLE snapshots
	ADD COLUMN ipfs_files_cid text CHECK (ipfs_files_cid ~ '^b[a-z2-7]{58}$'),
	ADD COLUMN ipfs_tar_cid   text CHECK (ipfs_tar_cid ~ '^b[a-z2-7]{58}$');
