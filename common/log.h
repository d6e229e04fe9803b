/* SPDX-License-Identifier: MIT */
/*
 * One key=value line per event on stderr (journald under systemd):
 * "ts=... lvl=info mod=agent conn=3 msg=...". The level is tested before
 * anything is formatted, so disabled debug lines cost one comparison.
 */
#ifndef PF_COMMON_LOG_H
#define PF_COMMON_LOG_H

#include <stdbool.h>

#include "compiler.h"

enum pf_log_level {
	PF_LOG_ERR = 0,
	PF_LOG_WARN,
	PF_LOG_INFO,
	PF_LOG_DEBUG,
};

/*
 * The process-wide threshold. Set once at boot (before threads start) and
 * read everywhere; a global because every module logs and none owns it.
 */
extern enum pf_log_level pf_log_threshold;

/* Parses "err", "warn", "info" or "debug". Returns false for anything else. */
bool pf_log_level_parse(const char *s, enum pf_log_level *out);

/* Writes one line for module <mod> with the printf-formatted rest; callback-safe. */
void pf_log(enum pf_log_level lvl, const char *mod, const char *fmt, ...) PF_PRINTF(3, 4);

#define PF_LOG_AT(lvl, mod, ...)                                                                   \
	do {                                                                                       \
		if ((lvl) <= pf_log_threshold)                                                     \
			pf_log((lvl), (mod), __VA_ARGS__);                                         \
	} while (0)

#define log_err(mod, ...)   PF_LOG_AT(PF_LOG_ERR, mod, __VA_ARGS__)
#define log_warn(mod, ...)  PF_LOG_AT(PF_LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...)  PF_LOG_AT(PF_LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) PF_LOG_AT(PF_LOG_DEBUG, mod, __VA_ARGS__)

#endif
