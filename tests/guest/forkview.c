// SPDX-License-Identifier: GPL-2.0
/*
 * forkview PARENT CHILD: one moment of a fork, as cowlab and smaps show it,
 * for tests/guest/redis.sh (issue 14).  Stop both processes first (SIGSTOP)
 * so that the files are read at the same moment.  Prints NAME=VALUE lines
 * (for the shell's eval), pages of 4 KiB unless the name ends in _kb:
 *
 *   c_resident c_shared c_exclusive c_zero c_copied
 *	the child's anonymous VMAs (vmas rows whose name is not a path, nor
 *	[vdso], [vvar], [vsyscall]), summed
 *   c_file_exclusive
 *	the exclusive pages of its file VMAs (anon copies in a private file
 *	mapping, and page-cache pages only it maps)
 *   p_copied
 *	the parent's copied pages, anonymous VMAs
 *   s_anon_dirty_kb s_anon_shared_kb s_file_dirty_kb
 *	the child's smaps: Private_Dirty and Shared_Clean + Shared_Dirty of
 *	the same anonymous VMAs, Private_Dirty of the file VMAs
 *   pc pc_cx pc_cz pc_cc pc_cs pc_cabsent
 *	pages the parent copied (C in its pages file, every VMA), and the
 *	child's page at each of those addresses: exclusive not copied (X),
 *	the zero page (Z: the parent replaced a zero page), copied (C: both
 *	replaced a zero page), shared (S: impossible, the parent no longer
 *	maps the page the child has), absent (.)
 *   cc cx
 *	the child's C and X pages (every VMA)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table.h"

static int select_pid(const char *file, const char *pid)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), COWLAB_DEBUGFS "/%s", file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, pid, strlen(pid)) == (ssize_t)strlen(pid) ? 0 : -errno;
	close(fd);
	return ret;
}

static int read_table(const char *file, const char *pid, int rest,
		      struct cowlab_table *t)
{
	char path[128], *text;
	const char *err;
	int ret;

	ret = select_pid(file, pid);
	snprintf(path, sizeof(path), COWLAB_DEBUGFS "/%s", file);
	if (!ret)
		ret = cowlab_read_file(path, &text, NULL);
	if (ret) {
		fprintf(stderr, "forkview: %s of %s: %s\n", file, pid,
			strerror(-ret));
		return ret;
	}
	if (cowlab_table_parse(t, text, rest, &err)) {
		fprintf(stderr, "forkview: %s of %s: %s\n", file, pid, err);
		cowlab_table_free(t);
		return -EPROTO;
	}
	return 0;
}

static int is_anon_name(const char *name)
{
	return name[0] != '/' && strcmp(name, "[vdso]") &&
	       strcmp(name, "[vvar]") && strcmp(name, "[vsyscall]") &&
	       strncmp(name, "[vvar_", 6);
}

enum { V_RESIDENT, V_SHARED, V_EXCLUSIVE, V_ZERO, V_COPIED, V_NR };
static const char *const vcols[V_NR] = {
	"resident", "shared", "exclusive", "zero", "copied"
};

/* Sum the vmas columns of @pid: anonymous VMAs into @anon, the others' into
 * @file. */
static int vmas_sums(const char *pid, unsigned long long *anon,
		     unsigned long long *file)
{
	struct cowlab_table t;
	int col[V_NR], ncol, i;
	size_t r;

	if (read_table("vmas", pid, 1, &t))
		return -1;
	ncol = cowlab_table_col(&t, "name");
	for (i = 0; i < V_NR; i++) {
		col[i] = cowlab_table_col(&t, vcols[i]);
		anon[i] = file[i] = 0;
	}
	for (i = 0; i < V_NR; i++)
		if (col[i] < 0 || ncol < 0) {
			fprintf(stderr, "forkview: vmas has no %s column\n",
				col[i] < 0 ? vcols[i] : "name");
			cowlab_table_free(&t);
			return -1;
		}
	for (r = 0; r < t.nrows; r++) {
		int a = is_anon_name(t.rows[r][ncol]);

		for (i = 0; i < V_NR; i++) {
			unsigned long long v;

			if (cowlab_field_u64(t.rows[r][col[i]], &v))
				continue;	/* "-": not walked */
			(a ? anon : file)[i] += v;
		}
	}
	cowlab_table_free(&t);
	return 0;
}

/* The child's smaps, anonymous VMAs as is_anon_name() says. */
static int smaps_sums(const char *pid, unsigned long long *anon_dirty,
		      unsigned long long *anon_shared,
		      unsigned long long *file_dirty)
{
	char path[64], line[512];
	int anon = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/smaps", pid);
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	*anon_dirty = *anon_shared = *file_dirty = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long kb;
		char name[256] = "";
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255[^\n]", &a, &b,
			   name) >= 2 && strchr(line, '-') < strchr(line, ' ')) {
			anon = is_anon_name(name[0] ? name : "[anon]");
			continue;
		}
		if (sscanf(line, "Private_Dirty: %llu kB", &kb) == 1)
			*(anon ? anon_dirty : file_dirty) += kb;
		else if (anon && (sscanf(line, "Shared_Clean: %llu kB", &kb) == 1 ||
				  sscanf(line, "Shared_Dirty: %llu kB", &kb) == 1))
			*anon_shared += kb;
	}
	fclose(f);
	return 0;
}

struct run {
	unsigned long long page;	/* first page number */
	const char *map;
};

static int read_pages(const char *pid, struct cowlab_table *t,
		      struct run **runs, size_t *n)
{
	int ca, cm;
	size_t r;

	if (read_table("pages", pid, 0, t))
		return -1;
	ca = cowlab_table_col(t, "addr");
	cm = cowlab_table_col(t, "map");
	if (ca < 0 || cm < 0) {
		fprintf(stderr, "forkview: pages has no addr or map column\n");
		return -1;
	}
	*runs = calloc(t->nrows + 1, sizeof(**runs));
	if (!*runs)
		return -1;
	for (r = 0; r < t->nrows; r++) {
		unsigned long long a;

		if (cowlab_field_hex(t->rows[r][ca], &a)) {
			fprintf(stderr, "forkview: pages: bad addr %s\n",
				t->rows[r][ca]);
			return -1;
		}
		(*runs)[r].page = a >> 12;
		(*runs)[r].map = t->rows[r][cm];
	}
	*n = t->nrows;
	return 0;
}

/* The child's character for page @pg ('.' if no line has it); its lines
 * are in address order. */
static char page_state(const struct run *runs, size_t n, unsigned long long pg)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (runs[mid].page <= pg)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return '.';
	lo--;
	if (pg - runs[lo].page >= strlen(runs[lo].map))
		return '.';
	return runs[lo].map[pg - runs[lo].page];
}

int main(int argc, char **argv)
{
	unsigned long long ca[V_NR], cf[V_NR], pa[V_NR], pf[V_NR];
	unsigned long long sad, sas, sfd;
	unsigned long long pc = 0, pc_cx = 0, pc_cz = 0, pc_cc = 0, pc_cs = 0;
	unsigned long long pc_cabsent = 0;
	unsigned long long cc = 0, cx = 0;
	struct cowlab_table pt, ct;
	struct run *pr, *cr;
	size_t pn, cn, r, i;

	if (argc != 3) {
		fprintf(stderr, "usage: forkview PARENT CHILD\n");
		return 2;
	}
	if (vmas_sums(argv[2], ca, cf) || vmas_sums(argv[1], pa, pf) ||
	    smaps_sums(argv[2], &sad, &sas, &sfd) ||
	    read_pages(argv[1], &pt, &pr, &pn) ||
	    read_pages(argv[2], &ct, &cr, &cn))
		return 1;
	for (r = 0; r < cn; r++)
		for (i = 0; cr[r].map[i]; i++) {
			cc += cr[r].map[i] == 'C';
			cx += cr[r].map[i] == 'X';
		}
	for (r = 0; r < pn; r++)
		for (i = 0; pr[r].map[i]; i++) {
			char c;

			if (pr[r].map[i] != 'C')
				continue;
			pc++;
			c = page_state(cr, cn, pr[r].page + i);
			pc_cx += c == 'X';
			pc_cz += c == 'Z';
			pc_cc += c == 'C';
			pc_cs += c == 'S';
			pc_cabsent += c == '.';
		}
	printf("c_resident=%llu\nc_shared=%llu\nc_exclusive=%llu\n"
	       "c_zero=%llu\nc_copied=%llu\nc_file_exclusive=%llu\n",
	       ca[V_RESIDENT], ca[V_SHARED], ca[V_EXCLUSIVE], ca[V_ZERO],
	       ca[V_COPIED], cf[V_EXCLUSIVE]);
	printf("p_copied=%llu\n", pa[V_COPIED]);
	printf("s_anon_dirty_kb=%llu\ns_anon_shared_kb=%llu\n"
	       "s_file_dirty_kb=%llu\n", sad, sas, sfd);
	printf("pc=%llu\npc_cx=%llu\npc_cz=%llu\npc_cc=%llu\npc_cs=%llu\n"
	       "pc_cabsent=%llu\ncc=%llu\ncx=%llu\n", pc, pc_cx, pc_cz, pc_cc,
	       pc_cs, pc_cabsent, cc, cx);
	free(pr);
	free(cr);
	cowlab_table_free(&pt);
	cowlab_table_free(&ct);
	return 0;
}
