// SPDX-License-Identifier: GPL-2.0
/*
 * `cowlab timeline --svg FILE`: the timeline as a plot for a report, in
 * plain SVG 1.1: time since the fork (or reset) in seconds along x, events
 * per bucket up y, copy and nocopy stacked in each bucket's bar, a legend.
 * Ticks are 1, 2 or 5 times a power of ten, worked out in integers.
 */
#include <string.h>

#include "timeline.h"

/* The canvas and the plot inside it, in SVG user units (pixels). */
#define W	800
#define H	440
#define X0	80		/* plot left */
#define X1	770		/* plot right */
#define Y0	60		/* plot top */
#define Y1	380		/* plot bottom: the x axis */

#define COPY_FILL	"#c0392b"
#define NOCOPY_FILL	"#2e86c1"

/* The smallest 1, 2 or 5 x 10^k with @parts steps covering @v (v > 0). */
static unsigned long long nice_step(unsigned long long v, unsigned int parts,
				    unsigned int *pow10)
{
	static const unsigned int m[] = { 1, 2, 5 };
	unsigned long long p = 1;
	unsigned int k = 0, i;

	for (;;) {
		for (i = 0; i < 3; i++) {
			if (m[i] * p * parts >= v) {
				*pow10 = k;
				return m[i] * p;
			}
		}
		if (p > ~0ULL / 100)
			break;
		p *= 10;
		k++;
	}
	*pow10 = k;
	return p * 10;
}

/* @s as XML character data (comm was made terminal-safe: valid UTF-8). */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else if ((unsigned char)*s < 0x20)
			fputc('?', f);
		else
			fputc(*s, f);
	}
}

/* @ns in seconds with @dec decimals (0 to 9), exactly. */
static void secs(FILE *f, unsigned long long ns, unsigned int dec)
{
	unsigned long long div = 1;
	unsigned int i;

	fprintf(f, "%llu", ns / 1000000000ULL);
	if (!dec)
		return;
	for (i = dec; i < 9; i++)
		div *= 10;
	fprintf(f, ".%0*llu", (int)dec, ns % 1000000000ULL / div);
}

static void title(const struct timeline *tl, FILE *f)
{
	fprintf(f, "COW events of process %d", tl->pid);
	if (tl->comm) {
		fputs(" (", f);
		xml_text(f, tl->comm);
		if (tl->state && strcmp(tl->state, "live")) {
			fputs(", ", f);
			xml_text(f, tl->state);
		}
		fputc(')', f);
	}
	fputs(" since its fork (or reset)", f);
}

static void legend(FILE *f)
{
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
		X1 - 300, Y0 - 26, COPY_FILL);
	fprintf(f, "<text x=\"%d\" y=\"%d\">copy (a new page)</text>\n",
		X1 - 284, Y0 - 16);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
		X1 - 150, Y0 - 26, NOCOPY_FILL);
	fprintf(f, "<text x=\"%d\" y=\"%d\">nocopy (reuse, split)</text>\n",
		X1 - 134, Y0 - 16);
}

/* Horizontal grid lines and count labels up to @ymax, every @step. */
static void y_axis(FILE *f, unsigned long long ymax, unsigned long long step,
		   const char *width)
{
	unsigned long long v;

	for (v = 0; v <= ymax; v += step) {
		double y = Y1 - (double)v / (double)ymax * (Y1 - Y0);

		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n",
			X0, y, X1, y);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%llu</text>\n",
			X0 - 6, y + 4, v);
		if (ymax - v < step)
			break;
	}
	fprintf(f, "<text transform=\"translate(%d %d) rotate(-90)\" text-anchor=\"middle\">events per %s bucket</text>\n",
		X0 - 56, (Y0 + Y1) / 2, width);
}

/* Tick marks and labels in seconds along the x axis, 0 to @span ns. */
static void x_axis(FILE *f, unsigned long long span)
{
	unsigned int k, dec;
	unsigned long long step = nice_step(span, 6, &k), v;

	dec = k >= 9 ? 0 : 9 - k;
	for (v = 0; v <= span; v += step) {
		double x = X0 + (double)v / (double)span * (X1 - X0);

		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>\n",
			x, Y1, x, Y1 + 5);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x,
			Y1 + 18);
		secs(f, v, dec);
		fputs("</text>\n", f);
		if (span - v < step)
			break;
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time since the fork or reset (s)</text>\n",
		(X0 + X1) / 2, Y1 + 42);
}

/* One bar per bucket: copy at the bottom, nocopy on top, with a tooltip. */
static void bars(const struct timeline *tl, FILE *f, unsigned long long span,
		 unsigned long long ymax)
{
	unsigned long long origin = tl->b[0].start;
	char a[32], b[32];
	size_t r;

	for (r = 0; r < tl->n; r++) {
		const struct tl_bucket *k = &tl->b[r];
		double x = X0 + (double)(k->start - origin) / span * (X1 - X0);
		double w = (double)(k->end - k->start) / span * (X1 - X0);
		double hc = (double)k->copy / ymax * (Y1 - Y0);
		double hn = (double)k->nocopy / ymax * (Y1 - Y0);

		if (!k->copy && !k->nocopy)
			continue;
		if (w >= 3) {
			x += 0.5;
			w -= 1;
		}
		fprintf(f, "<g><title>%s-%s s: %llu copy, %llu nocopy</title>\n",
			tl_secs(a, sizeof(a), k->start - origin),
			tl_secs(b, sizeof(b), k->end - origin), k->copy,
			k->nocopy);
		if (k->copy)
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
				x, Y1 - hc, w, hc, COPY_FILL);
		if (k->nocopy)
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
				x, Y1 - hc - hn, w, hn, NOCOPY_FILL);
		fputs("</g>\n", f);
	}
}

void timeline_svg(const struct timeline *tl, FILE *f)
{
	unsigned long long max = 0, span, ystep, ymax;
	unsigned int k;
	char width[32];
	size_t r;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
		W, H, W, H);
	fputs("<title>", f);
	title(tl, f);
	fputs("</title>\n", f);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">",
		X0, 22);
	title(tl, f);
	fputs("</text>\n", f);
	legend(f);
	if (!tl->n) {
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no COW events yet</text>\n",
			(X0 + X1) / 2, (Y0 + Y1) / 2);
	} else {
		for (r = 0; r < tl->n; r++)
			if (sat_add(tl->b[r].copy, tl->b[r].nocopy) > max)
				max = sat_add(tl->b[r].copy, tl->b[r].nocopy);
		span = tl->b[tl->n - 1].end - tl->b[0].start;
		ystep = max ? nice_step(max, 5, &k) : 1;
		ymax = max ? (max + ystep - 1) / ystep * ystep : 1;
		tl_width(width, sizeof(width), tl->b[0].end - tl->b[0].start);
		y_axis(f, ymax, ystep, width);
		bars(tl, f, span, ymax);
		x_axis(f, span);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
		X0, Y1, X1, Y1);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
		X0, Y0, X0, Y1);
	fputs("</svg>\n", f);
}
