/* SPDX-License-Identifier: MIT */
/*
 * One change of one node's state, as the controller's single "node
 * changed" point (ctl.c node_changed()) hands it to its hooks: the log and
 * the recorder. Apart from ctl.h so a hook needs nothing else of the
 * controller.
 */
#ifndef PF_CTL_NODE_EVENT_H
#define PF_CTL_NODE_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl/node.h"

/* Where a node's state change came from. */
enum ctl_change_source {
	CTL_CHANGE_DECISION = 0, /* node_decide() */
	CTL_CHANGE_ADMIN,        /* drain/undrain */
	CTL_CHANGE_CONFIG,       /* added or removed by a config (re)load */
};

/* One change of one node's state, for the "node changed" hook. */
struct ctl_node_event {
	const char *chain, *node;
	bool added, removed; /* config: <from> (added) or <to> (removed) is meaningless */
	enum node_state from, to;
	const char *reason; /* why the node is in <to> */
	enum ctl_change_source source;
	int64_t at_ms; /* wall clock */
	/* The node's facts at the change, for the record. */
	bool has_best, has_finalized;
	uint64_t best, finalized, lag_blocks;
	uint32_t peers;
};

#endif
