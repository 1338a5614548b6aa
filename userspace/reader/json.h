/* SPDX-License-Identifier: GPL-2.0 */
/* json.c: a small JSON writer. */
#ifndef COWLAB_READER_JSON_H
#define COWLAB_READER_JSON_H

#include "common.h"

struct json {
	FILE *f;
	int depth;
	bool first[32];
	bool after_key;
	bool nl;			/* a newline is due */
	bool oneline;			/* json_nl() does nothing */
};

void json_init(struct json *j, FILE *f);
void json_obj(struct json *j);
void json_obj_end(struct json *j);
void json_arr(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_str_or_null(struct json *j, const char *s);
void json_u64(struct json *j, unsigned long long v);
void json_s64(struct json *j, long long v);
void json_u64_or_null(struct json *j, unsigned long long v, bool avail);
void json_hex(struct json *j, unsigned long long v);
void json_null(struct json *j);
void json_nl(struct json *j);

#endif /* COWLAB_READER_JSON_H */
