/* SPDX-License-Identifier: MIT */
/*
 * Starts and stops js-ipfs's daemon (see ipfs.h).
 */
#include "tests/harness/ipfs.h"

#include <sys/stat.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness/children.h"
#include "tests/harness/harness.h"

/*
 * The config the repository is created with: no swarm address (nothing
 * listens for peers), no bootstrap peers, no discovery, every server on
 * 127.0.0.1. js-ipfs applies it on top of its defaults at `daemon --init-config`.
 */
static int write_config(const struct h_ipfs *n, const char *path)
{
	char cfg[1024];

	snprintf(cfg, sizeof(cfg),
	         "{\"Addresses\":{\"Swarm\":[],\"Announce\":[],\"NoAnnounce\":[],"
	         "\"Delegates\":[],\"API\":\"/ip4/127.0.0.1/tcp/%d\","
	         "\"Gateway\":\"/ip4/127.0.0.1/tcp/%d\",\"RPC\":\"/ip4/127.0.0.1/tcp/%d\"},"
	         "\"Bootstrap\":[],\"Discovery\":{\"MDNS\":{\"Enabled\":false},"
	         "\"webRTCStar\":{\"Enabled\":false}}}\n",
	         n->api_port, n->gateway_port, n->rpc_port);
	return h_write_file(path, cfg);
}

bool h_ipfs_start(struct h_ipfs *n)
{
	static unsigned seq;
	static char node_path[600], ipfs_path[600], node_opts[PATH_MAX + 32], cli[700], init[600];
	char poly[PATH_MAX];
	char *env[] = {node_path, ipfs_path, node_opts, NULL};
	char *argv[] = {
	    "node", cli, "daemon", "--init-config", init, "--offline", "--enable-preload=false",
	    NULL};
	double end;

	memset(n, 0, sizeof(*n));
	seq++;
	snprintf(n->dir, sizeof(n->dir), "%s/ipfs-%d-%u", h_tmpdir(), (int)getpid(), seq);
	snprintf(n->log, sizeof(n->log), "%s.log", n->dir);
	if (mkdir(n->dir, 0700) == -1 ||
	    realpath("tests/harness/promise_with_resolvers.js", poly) == NULL)
		return false;
	h_node_path_env(node_path, sizeof(node_path));
	snprintf(cli, sizeof(cli), "%s/ipfs/src/cli.js", node_path + strlen("NODE_PATH="));
	snprintf(ipfs_path, sizeof(ipfs_path), "IPFS_PATH=%s/repo", n->dir);
	snprintf(node_opts, sizeof(node_opts), "NODE_OPTIONS=--require %s", poly);
	snprintf(init, sizeof(init), "%s/init.json", n->dir);
	n->api_port = h_free_port();
	n->gateway_port = h_free_port();
	n->rpc_port = h_free_port();
	if (write_config(n, init) != 0)
		return false;
	snprintf(n->api, sizeof(n->api), "http://127.0.0.1:%d", n->api_port);
	snprintf(n->gateway, sizeof(n->gateway), "http://127.0.0.1:%d", n->gateway_port);
	n->pid = h_spawn(argv, env, n->log);
	if (n->pid <= 0)
		return false;
	h_child_expect(n->pid, "js-ipfs daemon", SIGTERM, 0);
	/* Creating the repository (an Ed25519 key) and starting takes 2-5 s here. */
	end = h_now() + 60;
	while (h_now() < end) {
		if (h_wait_file_contains(n->log, "Daemon is ready", 0.2))
			return h_wait_port(n->api_port, 5);
		if (h_wait_exit(n->pid, 0) != -1)
			return false;
	}
	return false;
}

void h_ipfs_stop(struct h_ipfs *n)
{
	pid_t pid = n->pid;

	n->pid = 0;
	if (pid > 0)
		h_stop_child(pid);
}
