/* SPDX-License-Identifier: MIT */
/*
 * js-ipfs 0.66.1 (the npm package `ipfs`, pinned in tests/peers/package.json)
 * on loopback, through the harness's child API: the real `jsipfs daemon`
 * with a fresh repository under h_tmpdir(), offline (no libp2p, no
 * bootstrap, no preload), no swarm address, and its HTTP API, gateway and
 * gRPC endpoint on loopback ports the harness picks. Node.js 20 lacks
 * Promise.withResolvers, which the daemon's lock library calls: the
 * polyfill tests/harness/promise_with_resolvers.js is loaded first through
 * NODE_OPTIONS. On SIGTERM the daemon stops the node and exits 0
 * (ipfs-cli's daemon command: process.on('SIGTERM', cleanup)).
 */
#ifndef PF_TESTS_HARNESS_IPFS_H
#define PF_TESTS_HARNESS_IPFS_H

#include <sys/types.h>

#include <stdbool.h>

struct h_ipfs {
	pid_t pid;
	int api_port, gateway_port, rpc_port;
	char dir[512];    /* the repository is <dir>/repo */
	char log[600];    /* the daemon's stdout and stderr */
	char api[64];     /* "http://127.0.0.1:<api_port>" */
	char gateway[64]; /* "http://127.0.0.1:<gateway_port>" */
};

/* Starts a daemon; waits for "Daemon is ready" and the API port. False on failure. */
bool h_ipfs_start(struct h_ipfs *n);

/* Stops it with SIGTERM and asserts exit 0; no-op when not running. */
void h_ipfs_stop(struct h_ipfs *n);

#endif
