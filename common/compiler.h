/* SPDX-License-Identifier: MIT */
/*
 * Compiler helpers shared by both daemons: attributes, container_of, the
 * parser return codes and the list of libc calls the project never uses.
 * It includes the libc headers that declare the poisoned names, so the
 * poison holds wherever it sits in a file's include list.
 */
#ifndef PF_COMMON_COMPILER_H
#define PF_COMMON_COMPILER_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h> /* declared before the poison below, never used through it */

#define PF_MUSTCHECK       __attribute__((warn_unused_result))
#define PF_PRINTF(fmt, va) __attribute__((format(printf, fmt, va)))
#define PF_UNUSED          __attribute__((unused))
#define PF_LIKELY(x)       __builtin_expect(!!(x), 1)
#define PF_UNLIKELY(x)     __builtin_expect(!!(x), 0)
#define PF_ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))

#define pf_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Parser return codes: >0 is the number of bytes consumed. */
#define PF_EPROTO (-1)
#define PF_AGAIN  (-2)

/*
 * Invariants whose violation would corrupt memory: stay on in production,
 * like HAProxy's BUG_ON, because continuing would be worse than a crash.
 */
#define PF_BUG_ON(cond)                                                                            \
	do {                                                                                       \
		if (PF_UNLIKELY(cond)) {                                                           \
			(void)fprintf(stderr, "BUG %s:%d: %s\n", __FILE__, __LINE__, #cond);       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Frees *<pp> and sets it to NULL so a second free is harmless. */
#define pf_free(pp)                                                                                \
	do {                                                                                       \
		free(*(pp));                                                                       \
		*(pp) = NULL;                                                                      \
	} while (0)

/* Unbounded or thread-unsafe calls: use snprintf, memcpy with a checked length, strtol. */
/* clang refuses to poison names glibc's _FORTIFY_SOURCE defines as macros; gcc covers them. */
#if defined(__GNUC__) && !defined(PF_NO_POISON) && !(defined(__clang__) && defined(_FORTIFY_SOURCE))
#pragma GCC poison strcpy strcat sprintf vsprintf strtok gets atoi atol
#endif

#endif
