/* SPDX-License-Identifier: MIT */
/*
 * Integration-test harness: temp dirs, free loopback ports, child processes
 * (haproxy, polkfura-spoa, the node simulator, node scripts), polling waits
 * and HTTP(S) requests through libcurl. Every wait polls a condition with a
 * deadline; nothing sleeps as synchronisation.
 */
#ifndef PF_TESTS_HARNESS_H
#define PF_TESTS_HARNESS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include <check.h>

#include "common/compiler.h"

#define H_MAX_ENV 32

/* A temp dir under $TMPDIR, removed by h_tmp_cleanup unless PF_KEEP_TMP is set. */
const char *h_tmpdir(void);
void h_tmp_cleanup(void);

/* Repository root (cwd of the test run) and build dir ($PF_BUILD, default build/release). */
const char *h_build_dir(void);

/*
 * The haproxy binary every test runs: $PF_HAPROXY, default Debian's
 * /usr/sbin/haproxy. `make integration` runs the HAProxy suites a second time
 * with the 3.4 build of tests/peers/ (see the Makefile, HAPROXY_34).
 */
const char *h_haproxy_bin(void);

/*
 * A loopback TCP port nobody listens on now, below the kernel's ephemeral
 * range (so no outgoing connection takes it first), never the same twice in
 * one process; -1 when none was found.
 */
int h_free_port(void);

/* True when something accepts TCP connections on 127.0.0.1:<port>. */
bool h_port_open(int port);

/* Polls until 127.0.0.1:<port> accepts connections. */
bool h_wait_port(int port, double timeout_s);

/* Polls until the file at <path> contains <needle>. */
bool h_wait_file_contains(const char *path, const char *needle, double timeout_s);

/* Prints the last <lines> lines of the file at <path> to stderr (a failing test's context). */
void h_print_log_tail(const char *path, int lines);

/* Reads a whole file into a NUL-terminated malloc'd buffer (NULL on error). */
char *h_read_file(const char *path, size_t *len);

/* Writes <data> to <path>. Returns 0 or -1. */
int h_write_file(const char *path, const char *data);

/*
 * The main() of an integration binary: makes the temp dir and TLS material
 * once (forked tests share them), runs <s>, then reads every file in the
 * temp dir for sanitizer reports and notes of forgotten children (see
 * children.h), and removes the temp dir when all is clean. Returns the exit
 * status: 0 when every test passed and nothing was found.
 */
int h_run_suite(Suite *s);

/* Monotonic seconds. */
double h_now(void);

struct h_resp {
	long status; /* 0 when the transfer failed */
	char *body;  /* malloc'd, NUL-terminated */
	size_t len;
	char *headers; /* malloc'd raw response headers */
	char err[256]; /* curl error text when status == 0 */
};

struct h_req {
	const char *method; /* default GET, or POST when body is set */
	const char *url;    /* e.g. https://polkadot.localhost:PORT/ */
	const char *body;
	size_t body_len;            /* 0: strlen(body) */
	const char *const *headers; /* NULL-terminated, may be NULL */
	int resolve_port;           /* >0: resolve the URL's host to 127.0.0.1 on this port */
	const char *cainfo;         /* CA file for HTTPS, NULL: h_ca_file() */
	long timeout_ms;            /* default 5000 */
	bool http2;
};

/* Performs one request; <resp> must be freed with h_resp_free. Returns resp->status. */
long h_http(const struct h_req *req, struct h_resp *resp);
void h_resp_free(struct h_resp *resp);

/* Value of response header <name> (case-insensitive) copied into <out>; false if absent. */
bool h_resp_header(const struct h_resp *resp, const char *name, char *out, size_t outlen);

/* A self-signed CA + cert for *.localhost made once per run in h_tmpdir(). */
const char *h_ca_file(void);
const char *h_cert_dir(void);

/* "NODE_PATH=<PF_CACHE>/npm/node_modules" (PF_CACHE defaults to ~/.cache/polkfura) into <buf>. */
const char *h_node_path_env(char *buf, size_t len);

/* ---- the parts ---- */

struct h_nodesim {
	pid_t pid;
	int control_port;
	int n;
	int port[64]; /* node i listens on port[i] (from the READY line) */
	char log[512];
};

/* Starts the node simulator with <n> (<= 64) nodes of <chain> on ports it picks itself. */
bool h_nodesim_start(struct h_nodesim *sim, const char *chain, int n, const char *extra_args);
/* POSTs <json> to the control API path <path> ("/nodes/polkadot-0"). Returns HTTP status. */
long h_nodesim_control(const struct h_nodesim *sim, const char *path, const char *json,
                       struct h_resp *out);
/* Stops it with SIGTERM and asserts exit 0 (tests/harness/README.md); no-op when not running. */
void h_nodesim_stop(struct h_nodesim *sim);

struct h_agent {
	pid_t pid;
	int port;
	int metrics_port;
	char log[512];
	char methods[512];
};

/* Starts polkfura-spoa on a free port (or <a>->port if set) with <extra> flags. */
bool h_agent_start(struct h_agent *a, const char *const extra[]);
/* Stops it with SIGTERM and asserts exit 0 (README, "Signals"); no-op when not running. */
void h_agent_stop(struct h_agent *a);
/* Kills it with SIGKILL: a crash staged on purpose (say why at the call). */
void h_agent_kill(struct h_agent *a);

struct h_haproxy {
	pid_t pid; /* the process to signal: the master in master-worker mode */
	bool master_worker;
	int http_port;
	int https_port;
	int prom_port; /* HAProxy's Prometheus exporter (PF_PROM_BIND) */
	char dir[256];
	char log[512];
	char admin_sock[512];
	char backends[512];
	char env[H_MAX_ENV + 16][600]; /* its environment, kept for reloads */
	int n_env;
};

/* The chains map h_haproxy_start() writes when <env> has no PF_CHAINS_MAP. */
#define H_CHAINS_MAP "polkadot polkadot\nkusama kusama\n"

/*
 * Starts the shipped haproxy/haproxy.cfg + spoe config verbatim, with the
 * site's backends text <backends_cfg>, the agent on <agent_port> and extra
 * environment <env> ("PF_RATE_HEAVY=3", NULL-terminated; it wins over the
 * harness's own; a PF_AGENT_ADDR there, such as "PF_AGENT_ADDR=unix@/path",
 * replaces <agent_port>). Waits for readiness. The chains map is H_CHAINS_MAP
 * unless <env> sets PF_CHAINS_MAP; as root the worker runs as user and group
 * "haproxy" chrooted in <dir>/chroot, the runtime API socket in group
 * "haproxy" (haproxy/README.md, "Least privilege"); PF_USER=, PF_GROUP=,
 * PF_CHROOT=, PF_ADMIN_GROUP= in <env> change that. A unix agent path is
 * resolved inside the chroot.
 */
bool h_haproxy_start(struct h_haproxy *h, const char *backends_cfg, int agent_port,
                     char *const env[]);
/* Soft-stops it (SIGUSR1) and asserts exit 0; no-op when not running. */
void h_haproxy_stop(struct h_haproxy *h);

/* The same in master-worker mode (-W), as systemd runs it; reloads by SIGUSR2. */
bool h_haproxy_start_master_worker(struct h_haproxy *h, const char *backends_cfg, int agent_port,
                                   char *const env[]);

/* The pid "show info" reports (the worker's), or -1 when the runtime API does not answer. */
long h_haproxy_info_pid(const struct h_haproxy *h);

/*
 * Reloads <h> as an operator would: master-worker mode gets SIGUSR2; otherwise
 * a new process takes the listeners over (-x admin socket) and the old one
 * finishes (-sf). Waits until the runtime API answers from a new pid. Returns
 * the old process's wait status (-sf; 0 means a clean exit), 0 after a
 * master-worker reload, or -1 when the reload did not happen in <timeout_s>.
 */
int h_haproxy_reload(struct h_haproxy *h, double timeout_s);

/*
 * Sends one command to the runtime API (admin_sock: a unix socket path, or
 * "ipv4@A.B.C.D:PORT" when PF_ADMIN_SOCKET put it on TCP) and returns the
 * malloc'd answer (NULL on error).
 */
char *h_haproxy_cmd(const struct h_haproxy *h, const char *cmd);

/* Status column of <backend>/<server> in "show stat" ("UP", "DOWN", "MAINT", "DRAIN"...). */
bool h_server_status(const struct h_haproxy *h, const char *backend, const char *server, char *out,
                     size_t outlen);

/* Backends text for chains polkadot and kusama with <n> servers each at the sim ports. */
char *h_backends_for(const struct h_nodesim *polkadot, const struct h_nodesim *kusama);

/*
 * The same for <n> chains: be_<names[i]> (checked, node1..) and
 * be_<names[i]>_heavy (tracking them) on the ports of <sims[i]>. malloc'd.
 */
char *h_backends_chains(const struct h_nodesim *const sims[], const char *const names[], int n);

/* The whole edge on loopback: two simulated nodes per chain, the agent, haproxy. */
struct h_stack {
	struct h_nodesim polkadot, kusama;
	struct h_agent agent;
	struct h_haproxy haproxy;
};

/* Starts everything; <env> goes to haproxy. False (with the logs left in h_tmpdir) on failure. */
bool h_stack_start(struct h_stack *s, char *const env[]);
/* h_stop_all(): every child of the test, the stack's included, stopped and its exit asserted. */
void h_stack_stop(struct h_stack *s);

/* POSTs <body> to https://<chain>.localhost/ through the stack's haproxy. */
long h_stack_post(const struct h_stack *s, const char *chain, const char *body,
                  struct h_resp *resp);

/* Counts the lines of haproxy's log containing every one of the NULL-terminated <needles>. */
int h_log_count(const char *path, const char *const needles[]);

/* Polls until h_log_count reaches <n>; returns the last count seen. */
int h_wait_log_count(const char *path, const char *const needles[], int n, double timeout_s);

/* ---- polkfura-ctl ---- */

struct h_ctl {
	pid_t pid;
	int http_port;
	char config[512];
	char state_file[512];
	char log[512];
};

/*
 * Writes <config_json> (a printf format whose single %d is replaced by the
 * controller's http_listen port... see h_ctl_config) to a file and starts
 * `polkfura-ctl run`; waits until /healthz answers 200 (a round happened).
 */
bool h_ctl_start(struct h_ctl *c, const char *config_json);
/* Stops it with SIGTERM and asserts exit 0; no-op when not running. */
void h_ctl_stop(struct h_ctl *c);
/* Kills it with SIGKILL: a crash staged on purpose (say why at the call). */
void h_ctl_kill(struct h_ctl *c);
/*
 * Runs `polkfura-ctl <args>` from the build dir through h_run() (its output
 * scanned for sanitizer reports), stderr folded into <out>, with <env>
 * ("K=V K2=V2", may be NULL) before it. Returns the exit code, or -1 when it
 * did not exit or the command did not fit.
 */
int h_ctl_run(const char *env, const char *args, char *out, size_t outlen);

/* GETs or POSTs <path> on the controller's HTTP listener. */
long h_ctl_http(const struct h_ctl *c, const char *path, const char *post, struct h_resp *out);

/*
 * The admin-state bits of <backend>/<server> from "show servers state"
 * (column srv_admin_state) into <*admin>, its address into <addr> and its
 * port into <*port> (<addr> and <port> may be NULL). False, with nothing
 * written, when HAProxy does not answer or has no such server: a dead
 * HAProxy never looks like a state.
 */
PF_MUSTCHECK bool h_server_admin(const struct h_haproxy *h, const char *backend, const char *server,
                                 unsigned *admin, char *addr, size_t addrlen, int *port);

/*
 * Polls until HAProxy answers with (admin & <mask>) == <want> for
 * <backend>/<server>: true then. False after <timeout_s>, with what was
 * seen last in <why> (the state, "does not answer" or "no server").
 */
PF_MUSTCHECK bool h_wait_admin(const struct h_haproxy *h, const char *backend, const char *server,
                               unsigned mask, unsigned want, double timeout_s, char *why,
                               size_t whylen);

/* Fails the test, at the caller's line, unless h_wait_admin() sees the state in time. */
#define H_EXPECT_ADMIN(h, backend, server, mask, want, timeout_s)                                  \
	do {                                                                                       \
		char why_[256];                                                                    \
                                                                                                   \
		ck_assert_msg(h_wait_admin((h), (backend), (server), (mask), (want), (timeout_s),  \
		                           why_, sizeof(why_)),                                    \
		              "%s/%s: wanted admin & 0x%x == 0x%x within %.2f s: %s", (backend),   \
		              (server), (unsigned)(mask), (unsigned)(want), (double)(timeout_s),   \
		              why_);                                                               \
	} while (0)

#endif
