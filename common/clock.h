/* SPDX-License-Identifier: MIT */
/*
 * The two clocks the daemons read: wall time for what people and databases
 * see (logs, status, incidents), monotonic time for intervals. Pure modules
 * never call these; they take the time as an argument.
 */
#ifndef PF_COMMON_CLOCK_H
#define PF_COMMON_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t pf_wall_ms(void);

/* Milliseconds on CLOCK_MONOTONIC, for durations only. */
int64_t pf_mono_ms(void);

#endif
