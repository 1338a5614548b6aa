// SPDX-License-Identifier: GPL-2.0
/*
 * A small JSON writer: compact output, commas placed for the caller,
 * strings escaped so that any byte string (comm, file names) is valid JSON.
 */
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

/* Before any value: a comma unless it is the first, or follows a key. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (j->nl)
		fputc('\n', j->f);
	j->nl = false;
}

static void open_(struct json *j, char c)
{
	sep(j);
	fputc(c, j->f);
	if (j->depth + 1 < (int)ARRAY_SIZE(j->first))
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	if (j->nl)
		fputc('\n', j->f);
	j->nl = false;
	fputc(c, j->f);
}

void json_obj(struct json *j)
{
	open_(j, '{');
}

void json_obj_end(struct json *j)
{
	close_(j, '}');
}

void json_arr(struct json *j)
{
	open_(j, '[');
}

void json_arr_end(struct json *j)
{
	close_(j, ']');
}

/* Length of a valid UTF-8 sequence at @p (2 to 4), or 0. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n, i;

	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 3;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t n;

		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
		} else if (*p == '\n') {
			fputs("\\n", f);
			p++;
		} else if (*p == '\t') {
			fputs("\\t", f);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			fputc(*p++, f);
		} else {
			n = utf8_len(p);
			if (n) {
				fwrite(p, 1, n, f);
				p += n;
			} else {
				/* Not UTF-8: the byte as a Latin-1 character. */
				fprintf(f, "\\u%04x", *p++);
			}
		}
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
	sep(j);
	put_string(j->f, key);
	fputc(':', j->f);
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	sep(j);
	put_string(j->f, s);
}

/* @s, or null if it is NULL. */
void json_str_or_null(struct json *j, const char *s)
{
	if (s)
		json_str(j, s);
	else
		json_null(j);
}

void json_u64(struct json *j, unsigned long long v)
{
	sep(j);
	fprintf(j->f, "%llu", v);
}

void json_s64(struct json *j, long long v)
{
	sep(j);
	fprintf(j->f, "%lld", v);
}

void json_null(struct json *j)
{
	sep(j);
	fputs("null", j->f);
}

void json_u64_or_null(struct json *j, unsigned long long v, bool avail)
{
	if (avail)
		json_u64(j, v);
	else
		json_null(j);
}

/* An address: a string, "0x" and lower-case hex (exact beyond 2^53). */
void json_hex(struct json *j, unsigned long long v)
{
	sep(j);
	fprintf(j->f, "\"0x%llx\"", v);
}

/*
 * A newline before the next value or closing bracket (after the comma), to
 * keep one record a line for people and grep.
 */
void json_nl(struct json *j)
{
	if (!j->oneline)
		j->nl = true;
}
