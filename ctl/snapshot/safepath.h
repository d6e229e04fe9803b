/* SPDX-License-Identifier: MIT */
/*
 * The check every name from outside passes before `snapshot fetch` writes
 * anything: a path in a file list, an artifact name in a manifest, a tar
 * entry. Pure: it looks at bytes only, never at the file system; destdir.c
 * is what stops a symlink already planted in DEST.
 *
 * Accepted: a relative path of components separated by single '/', each
 * component 1..SAFEPATH_NAME_MAX bytes of printable ASCII other than '\',
 * none of them "." or "..", the whole at most SAFEPATH_PATH_MAX bytes.
 * Everything else is refused rather than normalised: "a/./b" or "a//b"
 * would name the same file as "a/b", so two entries of one list could write
 * one file and a checksum could be checked against the other's bytes; with
 * one spelling per file, names compare byte for byte. A tar directory
 * entry's one trailing '/' is the caller's to strip.
 */
#ifndef PF_CTL_SNAPSHOT_SAFEPATH_H
#define PF_CTL_SNAPSHOT_SAFEPATH_H

#include <stddef.h>

#define SAFEPATH_PATH_MAX 4095 /* bytes, PATH_MAX (4096) less its NUL */
#define SAFEPATH_NAME_MAX 255  /* bytes of one component, NAME_MAX */

/* Why a name was refused; SAFEPATH_OK when it was not. */
enum safepath_reason {
	SAFEPATH_OK = 0,
	SAFEPATH_EMPTY,           /* no bytes at all */
	SAFEPATH_TOO_LONG,        /* more than SAFEPATH_PATH_MAX bytes */
	SAFEPATH_ABSOLUTE,        /* starts with '/' */
	SAFEPATH_NUL,             /* a NUL byte: C would cut the name there */
	SAFEPATH_CONTROL,         /* a byte below 0x20 or DEL: breaks lines and terminals */
	SAFEPATH_NON_ASCII,       /* a byte >= 0x80 */
	SAFEPATH_BACKSLASH,       /* '\': a separator elsewhere, escaped by sha256sum */
	SAFEPATH_EMPTY_COMPONENT, /* "a//b", or a trailing '/' */
	SAFEPATH_DOT,             /* a "." component */
	SAFEPATH_DOTDOT,          /* a ".." component */
	SAFEPATH_NAME_TOO_LONG,   /* a component of more than SAFEPATH_NAME_MAX bytes */
	SAFEPATH_REASON_COUNT,
};

/*
 * Checks the <len> bytes at <p> (not NUL-terminated; a NUL inside is
 * refused). Returns SAFEPATH_OK or the first reason found, scanning from
 * the start. Callable from anywhere.
 */
enum safepath_reason safepath_check(const char *p, size_t len);

/* The reason <r> in a few words for an error message ("a '..' component"); static. */
const char *safepath_reason_text(enum safepath_reason r);

#endif
