/* SPDX-License-Identifier: MIT */
/* The text rules of text.h. */
#include "text.h"

#include <stdarg.h>
#include <string.h>

void pf_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

size_t pf_printable(char *dst, size_t dstlen, const void *src, size_t n, const char *also)
{
	const unsigned char *s = src;
	size_t i;

	for (i = 0; i < n && i + 1 < dstlen; i++) {
		unsigned char c = s[i];
		bool bad = c < 0x20 || c > 0x7e || (also != NULL && strchr(also, c) != NULL);

		dst[i] = bad ? '?' : (char)c;
	}
	dst[i] = '\0';
	return i;
}

bool pf_chain_name_is_valid(const char *s, size_t n)
{
	if (n == 0 || n > PF_CHAIN_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

size_t pf_json_nul_escape_at(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && len - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0)
			return i;
		i++; /* the escaped character */
	}
	return len;
}

bool pf_text_has_no_controls(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return false;
	return true;
}
