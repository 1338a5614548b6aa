/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cowlab(1), the reader of cowlab's debugfs files (docs/debugfs.md).
 * Declarations shared by its files; each section names the file that
 * defines it.
 */
#ifndef COWLAB_READER_H
#define COWLAB_READER_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "table.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#ifndef COWLAB_VERSION
#define COWLAB_VERSION "0.1"
#endif

#define PAGE_BYTES	4096ULL		/* debugfs counts are in 4 KiB pages */

/* Exit codes. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,			/* the data or the system said no */
	EXIT_USAGE = 2,			/* the command line is wrong */
};

enum color_mode {
	COLOR_AUTO,
	COLOR_ALWAYS,
	COLOR_NEVER,
};

enum tree_mode {
	TREE_AUTO,			/* tree unless --sort was given */
	TREE_ON,
	TREE_OFF,
};

/* Command-line options: set once by main.c, read everywhere. */
struct env {
	const char *debugfs;		/* the cowlab directory */
	bool fixture;			/* @debugfs is not on a debugfs mount */
	bool json;
	bool raw_pages;			/* --pages: counts, not sizes */
	enum color_mode color;
	const char *sort;		/* procs, top: column to sort by */
	bool reverse;
	enum tree_mode tree;
	int pid;			/* procs, top: --pid, 0 for all */
	const char *vma;		/* diff: --vma */
	long interval_ms;		/* top */
	long iterations;		/* top: 0 for until interrupted */
	int width, height;		/* map: 0 for the terminal's */
	unsigned long long cell_pages;	/* map: 0 to fit the screen */
	bool majority;			/* map: cells show the majority */
};

extern struct env env;

/* main.c */
__printf(1, 2) void cl_err(const char *fmt, ...);
int parse_pid(const char *s, int *pid);
int usage_error(const char *cmd);

/* dbgfs.c: finding the directory, reading files, saying what is wrong. */
struct dbgfs_src {
	char path[4200];		/* for messages: "DIR/vmas (pid 412)" */
};

int dbgfs_init(void);
/*
 * dbgfs_table() flag, beside the COWLAB_TABLE_* ones: the file may be
 * missing (an older module): DBGFS_ABSENT, and nothing said about it.
 */
#define DBGFS_OPTIONAL	0x100
#define DBGFS_ABSENT	3

int dbgfs_table(const char *name, int pid, unsigned int flags,
		struct cowlab_table *t, struct dbgfs_src *src);
__printf(3, 4)
void dbgfs_bad(const struct dbgfs_src *src, size_t line, const char *fmt, ...);
int dbgfs_col(const struct dbgfs_src *src, const struct cowlab_table *t,
	      const char *name);
int dbgfs_u64(const struct dbgfs_src *src, const struct cowlab_table *t,
	      size_t row, int col, unsigned long long *v, bool *avail);
extern bool dbgfs_quiet;

/* Totals stop at the largest value rather than wrap. */
static inline unsigned long long sat_add(unsigned long long a,
					 unsigned long long b)
{
	return a + b < a ? ~0ULL : a + b;
}

/* fmt.c: units, safe strings, the terminal. */
#define SIZE_BUF 24
const char *fmt_size(char *buf, unsigned long long pages);
const char *fmt_pages(char *buf, unsigned long long pages, bool avail);
const char *fmt_count(char *buf, unsigned long long v, bool avail);
char *fmt_safe(const char *s);
bool fmt_color(FILE *f);
void fmt_term(FILE *f, int *cols, int *rows);

/* ttable.c: aligned text tables whose last column is left unpadded. */
struct ttable {
	size_t ncols;
	const char *const *hdr;
	unsigned long left;		/* bit c: column c is left-aligned */
	char **cell;			/* row-major, @used of @cap */
	size_t used, cap, nrows;
	struct {
		size_t first, last;
		char *label;
	} group[4];			/* labels over runs of columns */
	size_t ngroups;
};

void tt_init(struct ttable *t, size_t ncols, const char *const *hdr,
	     unsigned long left);
void tt_cell(struct ttable *t, const char *s);
__printf(2, 3) void tt_cellf(struct ttable *t, const char *fmt, ...);
void tt_group(struct ttable *t, size_t first, size_t last, const char *label);
void tt_print(const struct ttable *t, FILE *f, size_t max_rows);
void tt_free(struct ttable *t);

/* json.c: a small JSON writer. */
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

/* procs.c: the procs table, `cowlab procs`. */
enum proc_ctr {
	CTR_COW_COPY,
	CTR_COW_ZERO,
	CTR_WP_REUSE,
	CTR_UNSHARE,
	CTR_THP_REUSE,
	CTR_THP_SPLIT,
	CTR_THP_ZERO,
	CTR_FILE_COPY,
	CTR_COW_KSM,
	NR_PROC_CTRS,
};

struct proc {
	int pid, ppid;
	const char *state;		/* "live", "exited" */
	const char *comm;
	unsigned long long ctr[NR_PROC_CTRS];
	bool avail[NR_PROC_CTRS];	/* false: "-", not counted here */
};

struct procs {
	struct cowlab_table t;
	struct proc *v;
	size_t n;
};

int procs_load(struct procs *ps);
void procs_free(struct procs *ps);
const struct proc *procs_find(const struct procs *ps, int pid);
int procs_check_sort(const char *key);
int procs_show(const struct procs *ps, FILE *f, size_t max_rows,
	       struct json *j);
int cmd_procs(int argc, char **argv);

/* top.c */
int cmd_top(int argc, char **argv);

/* vmas.c: the vmas table, VMA selection, `cowlab vmas`. */
enum vma_cnt {
	VMA_RESIDENT,
	VMA_SHARED,
	VMA_EXCLUSIVE,
	VMA_ZERO,
	VMA_COPIED,
	VMA_COW_COPY,
	VMA_COW_ZERO,
	VMA_WP_REUSE,
	NR_VMA_CNTS,
};

struct vma {
	unsigned long long start, end;
	const char *perms;
	const char *name;		/* "" for anonymous memory */
	unsigned long long cnt[NR_VMA_CNTS];
	bool avail[NR_VMA_CNTS];
};

struct vmas {
	int pid;
	struct cowlab_table t;
	struct vma *v;
	size_t n;
};

int vmas_load(struct vmas *vs, int pid);
void vmas_free(struct vmas *vs);
const char *vma_name(const struct vma *v);
unsigned long long vma_pages(const struct vma *v);
int vma_select(const struct vmas *vs, const char *sel, bool *match);
const struct vma *vma_pick(const struct vmas *vs, const char *sel);
const struct vma *vmas_at(const struct vmas *vs, unsigned long long start);
void vma_json(struct json *j, const struct vma *v);
int vmas_addr_width(const struct vmas *vs);
int cmd_vmas(int argc, char **argv);

/* pages.c: the pages file, walked one VMA at a time. */
enum page_state {
	PG_NONE,			/* '.' not present */
	PG_SHARED,			/* 'S' */
	PG_EXCL,			/* 'X' */
	PG_ZERO,			/* 'Z' */
	PG_COPIED,			/* 'C' */
	NR_PG,
};

struct pline {
	unsigned long long addr;
	const char *map;
	size_t len;
};

struct pages {
	struct cowlab_table t;
	struct dbgfs_src src;
	struct pline *v;
	size_t n;
};

typedef void (*page_run_fn)(void *ctx, unsigned long long addr,
			    unsigned long long npages, enum page_state st);

int pages_load(struct pages *pg, int pid);
void pages_free(struct pages *pg);
void pages_walk(const struct pages *pg, unsigned long long start,
		unsigned long long end, page_run_fn fn, void *ctx);
char page_char(enum page_state st);
const char *page_state_name(enum page_state st);

/* diff.c, map.c, status.c */
int cmd_diff(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_status(int argc, char **argv);

#endif /* COWLAB_READER_H */
