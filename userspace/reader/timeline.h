/* SPDX-License-Identifier: GPL-2.0 */
/*
 * timeline.c: a process's COW events in time buckets (the timeline file)
 * and `cowlab timeline`; timeline_svg.c: the same as an SVG plot.
 */
#ifndef COWLAB_READER_TIMELINE_H
#define COWLAB_READER_TIMELINE_H

#include "common.h"

struct tl_bucket {
	unsigned long long start, end;	/* CLOCK_MONOTONIC ns */
	unsigned long long copy, nocopy;	/* events */
};

struct timeline {
	int pid;
	char *comm, *state;		/* from procs; NULL if not there */
	struct tl_bucket *b;		/* in time order */
	size_t n;
	unsigned long long copy, nocopy;	/* over all buckets */
};

/* @ns as seconds with 3 decimals ("12.040"), into @buf. */
const char *tl_secs(char *buf, size_t size, unsigned long long ns);

/* A bucket's width for people: "40 ms", "4.167 ms", "16.384 s". */
const char *tl_width(char *buf, size_t size, unsigned long long ns);

/* Write @tl as an SVG document on @f. */
void timeline_svg(const struct timeline *tl, FILE *f);

#endif /* COWLAB_READER_TIMELINE_H */
