/* SPDX-License-Identifier: MIT */
/* The clocks of clock.h. */
#include "clock.h"

#include <time.h>

static int64_t pf_clock_ms(clockid_t id)
{
	struct timespec ts;

	(void)clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pf_wall_ms(void)
{
	return pf_clock_ms(CLOCK_REALTIME);
}

int64_t pf_mono_ms(void)
{
	return pf_clock_ms(CLOCK_MONOTONIC);
}
