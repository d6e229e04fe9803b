/* SPDX-License-Identifier: MIT */
/*
 * The public status page, GET /: one plain HTML document per request, no
 * script and no external asset (the style is inline), rendered from the
 * controller's view (status.h) and the history its reader keeps
 * (history.h): per chain of this region operational / degraded / outage
 * with heights and nodes in rotation, the other regions as this region's
 * probes see them, STATUS_DAYS uptime bars per chain, and the open and
 * recent incidents. Every text from the config or the database is
 * HTML-escaped. Pure: the time is the view's <now_ms>.
 */
#ifndef PF_CTL_WEB_PAGE_H
#define PF_CTL_WEB_PAGE_H

#include <stddef.h>

#include "ctl/web/history.h"
#include "ctl/web/status.h"

/* The page's words for a chain health ("up" -> "Operational", ...). Never NULL. */
const char *page_health_label(const char *health);

/*
 * The bar class of day <d>: "nd" when nothing was recorded (no up or down
 * time), "up" without down time, "dg" with down time of at most 1 % of the
 * day's window, "dn" beyond that.
 */
const char *page_day_class(const struct status_day *d);

/* The page for <v> as a malloc'd string (length in <*len>), or NULL on allocation failure. */
char *page_render(const struct status_view *v, size_t *len);

#endif
