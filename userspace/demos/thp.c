// SPDX-License-Identifier: GPL-2.0
/*
 * What this machine lets THP do (thp.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "thp.h"

/* The bracketed word of a sysfs choice file ("always [madvise] never"). */
static bool sysfs_choice(const char *path, char *word, size_t size)
{
	char buf[256], *open_b, *close_b;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	open_b = strchr(buf, '[');
	close_b = open_b ? strchr(open_b, ']') : NULL;
	if (!close_b || (size_t)(close_b - open_b) > size)
		return false;
	memcpy(word, open_b + 1, close_b - open_b - 1);
	word[close_b - open_b - 1] = '\0';
	return true;
}

/* /proc/vmstat counter @name, or false. */
static bool vmstat_read(const char *name, unsigned long long *val)
{
	char key[64];
	bool found = false;
	FILE *f;

	f = fopen("/proc/vmstat", "re");
	if (!f)
		return false;
	while (!found && fscanf(f, "%63s %llu", key, val) == 2)
		found = !strcmp(key, name);
	fclose(f);
	return found;
}

#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage"

static bool fault_allocs(unsigned long long *count)
{
	return vmstat_read("thp_fault_alloc", count);
}

static struct {
	bool checked;
	const char *why_not;	/* NULL: --huge can be predicted */
	struct thp_rules rules;
} thp = { .rules.fault_allocs = fault_allocs };

/*
 * Can the model follow THP here, and what may the kernel do? Settings are
 * read (they are the machine's, not a kernel version's); whether a fault
 * got a huge page is asked of thp_fault_alloc at each fault that could.
 */
static void thp_check(void)
{
	char word[32], path[300], val[16];
	struct dirent *d;
	DIR *dir;
	int fd;
	ssize_t n;
	unsigned long long v;

	if (thp.checked)
		return;
	thp.checked = true;
	if (!vmstat_read("thp_fault_alloc", &v)) {
		thp.why_not = "no thp_fault_alloc in /proc/vmstat";
		return;
	}
	if (!sysfs_choice(THP_SYSFS "/enabled", word, sizeof(word))) {
		thp.why_not = "no " THP_SYSFS "/enabled";
		return;
	}
	thp.rules.pmd = strcmp(word, "never") != 0;
	/* 6.8+: one setting per size; "inherit" is the one above */
	if (sysfs_choice(THP_SYSFS "/hugepages-2048kB/enabled", word,
			 sizeof(word)) && strcmp(word, "inherit"))
		thp.rules.pmd = strcmp(word, "never") != 0;
	dir = opendir(THP_SYSFS);
	while (dir && (d = readdir(dir))) {
		if (strncmp(d->d_name, "hugepages-", 10) ||
		    !strcmp(d->d_name, "hugepages-2048kB"))
			continue;
		snprintf(path, sizeof(path), THP_SYSFS "/%s/enabled",
			 d->d_name);
		if (sysfs_choice(path, word, sizeof(word)) &&
		    strcmp(word, "never")) {
			/* folios between 4 KiB and 2 MiB: not modelled */
			thp.why_not = "a THP size other than 2 MiB is enabled";
			break;
		}
	}
	if (dir)
		closedir(dir);
	fd = open(THP_SYSFS "/use_zero_page", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, val, sizeof(val) - 1);
		close(fd);
		thp.rules.huge_zero = n > 0 && val[0] == '1';
	}
}

const char *thp_why_not(void)
{
	thp_check();
	return thp.why_not;
}

const struct thp_rules *thp_rules(void)
{
	thp_check();
	return &thp.rules;
}
