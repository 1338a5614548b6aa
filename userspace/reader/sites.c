// SPDX-License-Identifier: GPL-2.0
/*
 * `cowlab sites PID`: the code that caused a process's COW breaks.  Reads
 * the sites file (docs/debugfs.md) and resolves each address against the
 * process's mappings and ELF files with elfutils' libdwfl: function+offset
 * from .symtab or .dynsym, file:line where there is debug information,
 * module+offset where there is no symbol.  An address that cannot be
 * resolved (the process exited, its file is gone) is printed raw, with
 * the reason.
 */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "dbgfs.h"
#include "err.h"
#include "fmt.h"
#include "json.h"
#include "opts.h"
#include "ttable.h"

enum site_kind { SITE_ADDR, SITE_TASK, SITE_OTHER };

struct site {
	enum site_kind kind;
	const char *name;		/* the site column */
	unsigned long long addr;	/* SITE_ADDR */
	const char *class;
	unsigned long long count;
	/* What libdwfl found for an address; NULL/0 where it found nothing. */
	const char *function;
	unsigned long long function_offset;
	const char *module;		/* the file mapped there */
	unsigned long long module_offset;
	const char *file;
	int line;
	const char *why;		/* not resolved: why (NULL if resolved) */
};

struct sites {
	int pid;
	struct cowlab_table t;
	struct site *v;
	size_t n;
	Dwfl *dwfl;
	const char *why;		/* nothing resolved: why, or NULL */
	char why_buf[256];
	bool sites_off;			/* the module records no sites */
};

static int sites_load(struct sites *ss, int pid)
{
	struct dbgfs_src src;
	int col[3];
	size_t r;

	memset(ss, 0, sizeof(*ss));
	ss->pid = pid;
	if (dbgfs_table("sites", pid, 0, &ss->t, &src))
		return EXIT_FAIL;
	if ((col[0] = dbgfs_col(&src, &ss->t, "site")) < 0 ||
	    (col[1] = dbgfs_col(&src, &ss->t, "class")) < 0 ||
	    (col[2] = dbgfs_col(&src, &ss->t, "count")) < 0)
		return EXIT_FAIL;
	ss->v = calloc(ss->t.nrows + 1, sizeof(*ss->v));
	if (!ss->v) {
		cl_err("out of memory");
		return EXIT_FAIL;
	}
	for (r = 0; r < ss->t.nrows; r++) {
		struct site *s = &ss->v[r];
		bool avail;

		s->name = ss->t.rows[r][col[0]];
		s->class = ss->t.rows[r][col[1]];
		if (dbgfs_u64(&src, &ss->t, r, col[2], &s->count, &avail))
			return EXIT_FAIL;
		if (!strncmp(s->name, "task:", 5)) {
			s->kind = SITE_TASK;
		} else if (!strcmp(s->name, "other")) {
			s->kind = SITE_OTHER;
		} else if (!cowlab_field_hex(s->name, &s->addr)) {
			s->kind = SITE_ADDR;
		} else {
			dbgfs_bad(&src, r + 2, "site '%.40s' is not an address, task:COMM or other",
				  s->name);
			return EXIT_FAIL;
		}
	}
	ss->n = ss->t.nrows;
	return EXIT_OK;
}

/* Is the mapping of @pid at @addr a file that is gone?  From its maps. */
static bool mapping_deleted(int pid, unsigned long long addr)
{
	char path[40], line[4352];
	bool deleted = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		size_t len = strlen(line);

		if (sscanf(line, "%llx-%llx", &lo, &hi) != 2 || addr < lo ||
		    addr >= hi)
			continue;
		while (len && line[len - 1] == '\n')
			line[--len] = '\0';
		deleted = len > 10 && !strcmp(line + len - 10, " (deleted)");
		break;
	}
	fclose(f);
	return deleted;
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

static int count_module(Dwfl_Module *mod, void **userdata, const char *name,
			Dwarf_Addr start, void *arg)
{
	(void)mod;
	(void)userdata;
	(void)name;
	(void)start;
	++*(size_t *)arg;
	return DWARF_CB_OK;
}

static void resolve_one(struct sites *ss, struct site *s)
{
	Dwarf_Addr a = s->addr, start, bias;
	const char *name, *mainfile = NULL;
	Dwfl_Module *mod;
	Dwfl_Line *line;
	GElf_Off off;
	GElf_Sym sym;

	mod = dwfl_addrmodule(ss->dwfl, a);
	if (!mod) {
		s->why = "in no mapping of the process now (unmapped since)";
		return;
	}
	name = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL,
				&mainfile, NULL);
	s->module = name;
	s->module_offset = a - start;
	if (mapping_deleted(ss->pid, a)) {
		s->why = "its file was deleted or replaced since it was mapped";
		return;
	}
	if (!dwfl_module_getelf(mod, &bias)) {
		s->why = "its ELF file cannot be read";
		return;
	}
	s->function = dwfl_module_addrinfo(mod, a, &off, &sym, NULL, NULL,
					   NULL);
	s->function_offset = off;
	line = dwfl_module_getsrc(mod, a);
	if (line)
		s->file = dwfl_lineinfo(line, NULL, &s->line, NULL, NULL, NULL);
}

/*
 * Resolve every address row against the mappings of ss->pid as they are
 * now.  Sets ss->why if nothing can be resolved.
 */
static void sites_resolve(struct sites *ss)
{
	static const Dwfl_Callbacks cb = {
		.find_elf = dwfl_linux_proc_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
	};
	size_t i, nmods = 0;
	bool any = false;
	int err;

	for (i = 0; i < ss->n; i++)
		any |= ss->v[i].kind == SITE_ADDR;
	if (!any)
		return;
	ss->dwfl = dwfl_begin(&cb);
	if (!ss->dwfl) {
		snprintf(ss->why_buf, sizeof(ss->why_buf), "libdwfl: %s",
			 dwfl_errmsg(-1));
		ss->why = ss->why_buf;
		return;
	}
	err = dwfl_linux_proc_report(ss->dwfl, ss->pid);
	if (err == ENOENT || err == ESRCH) {
		snprintf(ss->why_buf, sizeof(ss->why_buf),
			 "process %d has exited: its mappings are gone",
			 ss->pid);
	} else if (err) {
		snprintf(ss->why_buf, sizeof(ss->why_buf),
			 "cannot read the mappings of process %d: %s", ss->pid,
			 err > 0 ? strerror(err) : dwfl_errmsg(-1));
	} else if (dwfl_report_end(ss->dwfl, NULL, NULL)) {
		snprintf(ss->why_buf, sizeof(ss->why_buf), "libdwfl: %s",
			 dwfl_errmsg(-1));
	} else if (dwfl_getmodules(ss->dwfl, count_module, &nmods, 0) < 0 ||
		   !nmods) {
		/* No module at all: a zombie's maps are empty. */
		snprintf(ss->why_buf, sizeof(ss->why_buf),
			 "process %d has exited (its maps are empty)", ss->pid);
	} else {
		for (i = 0; i < ss->n; i++)
			if (ss->v[i].kind == SITE_ADDR)
				resolve_one(ss, &ss->v[i]);
		return;
	}
	ss->why = ss->why_buf;
}

static void sites_free(struct sites *ss)
{
	if (ss->dwfl)
		dwfl_end(ss->dwfl);
	free(ss->v);
	cowlab_table_free(&ss->t);
}

/* Are sites switched off in the module (stats says sites_on 0)? */
static bool sites_switched_off(void)
{
	struct cowlab_table t;
	struct dbgfs_src src;
	const char *v;
	bool off;

	bool quiet = dbgfs_set_quiet(true);
	int err = dbgfs_table("stats", 0, DBGFS_OPTIONAL, &t, &src);

	dbgfs_set_quiet(quiet);
	if (err)
		return false;
	v = cowlab_table_lookup(&t, cowlab_table_col(&t, "name"), "sites_on",
				cowlab_table_col(&t, "value"));
	off = v && !strcmp(v, "0");
	cowlab_table_free(&t);
	return off;
}

/* Recording is off: how to switch it on, in 80 columns. */
static void sites_off_note(FILE *f)
{
	fprintf(f, "sites are not being recorded (the module starts with them off):\n"
		"`cowlab sites --on` (or echo 'sites on' > %s/control)\n"
		"records them from then on; switch them on before the process forks to see\n"
		"all of its events\n", env.debugfs);
}

static void sites_text(const struct sites *ss)
{
	static const char *const hdr[] = {
		"COUNT", "CLASS", "ADDRESS", "SYMBOL", "SOURCE", "MODULE",
	};
	unsigned long long total = 0;
	bool other = false, task = false;
	struct ttable t;
	size_t i;

	tt_init(&t, ARRAY_SIZE(hdr), hdr, 1UL << 1 | 1UL << 2 | 1UL << 3 |
		1UL << 4 | 1UL << 5);
	for (i = 0; i < ss->n; i++) {
		const struct site *s = &ss->v[i];
		char *safe;

		total = sat_add(total, s->count);
		tt_cellf(&t, "%llu", s->count);
		tt_cell(&t, s->class);
		if (s->kind != SITE_ADDR) {
			safe = fmt_safe(s->name);
			tt_cell(&t, "-");
			tt_cell(&t, safe ? safe : "?");
			tt_cell(&t, "-");
			tt_cell(&t, "-");
			free(safe);
			other |= s->kind == SITE_OTHER;
			task |= s->kind == SITE_TASK;
			continue;
		}
		tt_cellf(&t, "%llx", s->addr);
		if (s->function)
			tt_cellf(&t, "%s+0x%llx", s->function,
				 s->function_offset);
		else if (s->module)
			tt_cellf(&t, "%s+0x%llx", base_name(s->module),
				 s->module_offset);
		else
			tt_cell(&t, "?");
		if (s->file)
			tt_cellf(&t, "%s:%d", base_name(s->file), s->line);
		else
			tt_cell(&t, "-");
		tt_cell(&t, s->module ? base_name(s->module) : "-");
	}
	printf("process %d: %llu event%s at %zu site%s\n", ss->pid, total,
	       total == 1 ? "" : "s", ss->n, ss->n == 1 ? "" : "s");
	if (ss->n)
		tt_print(&t, stdout, 0);
	tt_free(&t);
	if (ss->why)
		printf("addresses not resolved: %s\n", ss->why);
	for (i = 0; !ss->why && i < ss->n; i++)
		if (ss->v[i].why)
			printf("%llx not resolved: %s\n", ss->v[i].addr,
			       ss->v[i].why);
	if (task)
		printf("task:COMM: written by another task (ptrace, /proc/PID/mem, GUP, ksmd)\n");
	if (other)
		printf("other: no row was free (64 addresses, 4 tasks a process), or before an exec\n");
	if (ss->sites_off)
		sites_off_note(stdout);
}

static void sites_json(const struct sites *ss)
{
	static const char *const kinds[] = {
		[SITE_ADDR] = "address", [SITE_TASK] = "task",
		[SITE_OTHER] = "other",
	};
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_obj(&j);
	json_key(&j, "pid");
	json_u64(&j, ss->pid);
	json_key(&j, "sites_on");
	json_u64(&j, !ss->sites_off);
	json_key(&j, "unresolved_reason");
	json_str_or_null(&j, ss->why);
	json_key(&j, "sites");
	json_arr(&j);
	for (i = 0; i < ss->n; i++) {
		const struct site *s = &ss->v[i];
		bool addr = s->kind == SITE_ADDR;

		json_nl(&j);
		json_obj(&j);
		json_key(&j, "kind");
		json_str(&j, kinds[s->kind]);
		json_key(&j, "site");
		json_str(&j, s->name);
		json_key(&j, "class");
		json_str(&j, s->class);
		json_key(&j, "count");
		json_u64(&j, s->count);
		json_key(&j, "address");
		if (addr)
			json_hex(&j, s->addr);
		else
			json_null(&j);
		json_key(&j, "function");
		json_str_or_null(&j, s->function);
		json_key(&j, "function_offset");
		json_u64_or_null(&j, s->function_offset, s->function);
		json_key(&j, "module");
		json_str_or_null(&j, s->module);
		json_key(&j, "module_offset");
		json_u64_or_null(&j, s->module_offset, s->module);
		json_key(&j, "file");
		json_str_or_null(&j, s->file);
		json_key(&j, "line");
		json_u64_or_null(&j, s->line, s->file);
		json_key(&j, "unresolved_reason");
		json_str_or_null(&j, addr ? (ss->why ? ss->why : s->why) :
				 NULL);
		json_obj_end(&j);
	}
	if (ss->n)
		json_nl(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	putchar('\n');
}

/*
 * `cowlab sites --on` / `--off`: the control command, or for a module
 * that does not know it, the module parameter that came before it.
 */
static int sites_switch(bool on)
{
	static const char param[] = "/sys/module/cowlab/parameters/sites";
	int err = dbgfs_control(on ? "sites on\n" : "sites off\n");
	FILE *f;

	if (err == -EINVAL) {
		f = fopen(param, "we");
		if (!f || fputs(on ? "1\n" : "0\n", f) == EOF ||
		    fclose(f)) {
			if (f)
				fclose(f);
			cl_err("%s/control: the module refused 'sites %s' (EINVAL), and it has no\n"
			       "        %s: the loaded cowlab module is too old to switch sites (reload a\n"
			       "        newer cowlab.ko)", env.debugfs, on ? "on" : "off",
			       param);
			return EXIT_FAIL;
		}
	} else if (err) {
		return EXIT_FAIL;
	}
	if (env.json)
		printf("{\"sites_on\":%d}\n", on);
	else if (on)
		printf("sites recording on: every process's COW events are recorded from now on\n");
	else
		printf("sites recording off: tables already made are kept (`cowlab sites --on`\n"
		       "switches it back on)\n");
	return EXIT_OK;
}

int cmd_sites(int argc, char **argv)
{
	struct sites ss;
	int pid, ret;

	if (env.sites_switch && argc) {
		cl_err("--%s takes no PID", env.sites_switch > 0 ? "on" : "off");
		return usage_error("sites");
	}
	if (!env.sites_switch && !argc) {
		cl_err("'sites' takes one PID (or --on, --off)");
		return usage_error("sites");
	}
	if (!env.sites_switch && parse_pid(argv[0], &pid)) {
		cl_err("'%s' is not a process id (e.g. 412)", argv[0]);
		return usage_error("sites");
	}
	ret = dbgfs_init();
	if (ret)
		return ret;
	if (env.sites_switch)
		return sites_switch(env.sites_switch > 0);
	ret = sites_load(&ss, pid);
	if (ret) {
		if (dbgfs_last_err() == -ESRCH && sites_switched_off())
			sites_off_note(stderr);
		sites_free(&ss);
		return ret;
	}
	sites_resolve(&ss);
	ss.sites_off = !ss.n && sites_switched_off();
	if (env.json)
		sites_json(&ss);
	else
		sites_text(&ss);
	sites_free(&ss);
	return EXIT_OK;
}
