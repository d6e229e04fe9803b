#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// s3rver 3.7.1 (tests/peers/package.json) on loopback for the S3 client's
// tests: a data directory, one bucket created at start, a port the kernel
// picks. Prints "READY <port>" once it listens. s3rver's own CLI dies of
// SIGTERM; here SIGTERM closes the server and the process exits 0, as the
// harness expects of every child (tests/harness/children.h).
//
// Usage: node tests/harness/s3rver.js DIR BUCKET
'use strict';

const S3rver = require('s3rver');

const [dir, bucket] = process.argv.slice(2);
if (!dir || !bucket) {
  console.error('usage: s3rver.js DIR BUCKET');
  process.exit(2);
}
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory: dir,
  silent: false,
  vhostBuckets: false,
  configureBuckets: [{ name: bucket, configs: [] }],
});
server.run().then(({ port }) => {
  console.log(`READY ${port}`);
}, (err) => {
  console.error(err);
  process.exit(1);
});
process.on('SIGTERM', () => {
  server.close().then(() => process.exit(0), () => process.exit(1));
});
