// SPDX-License-Identifier: GPL-2.0
/*
 * The copy-on-write model (model.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model.h"

static const char *const event_str[EV_NR] = {
	[EV_NONE]	= "no fault",
	[EV_NEW]	= "fault on an empty PTE, fresh page",
	[EV_ZERO_MAP]	= "read fault, zero page mapped",
	[EV_COW_COPY]	= "page still shared, copied (cow_copy)",
	[EV_COW_ZERO]	= "zero page replaced (cow_zero)",
	[EV_WP_REUSE]	= "no one else maps it, reused in place (wp_reuse)",
	[EV_THP_SPLIT]	= "its huge page still shared, PMD split (thp_split)",
	[EV_THP_REUSE]	= "its huge page no one else maps, reused in place (thp_reuse)",
	[EV_THP_ZERO]	= "huge zero page replaced by a new huge page (thp_zero)",
};

const char *model_event_str(enum demo_event ev)
{
	return ev < EV_NR ? event_str[ev] : "?";
}

/*
 * Did the kernel install one more THP by a fault than the model has
 * accounted for? Takes it if so. The actions of a step are modelled in
 * the order they happened, so the n-th THP is the n-th fault that could.
 */
static bool thp_took_one(struct model *m)
{
	unsigned long long now;

	if (!m->thp->fault_allocs(&now) || now <= m->thp_seen)
		return false;
	m->thp_seen++;
	return true;
}

static bool block_eligible(const struct model *m, unsigned long b)
{
	return m->thp && !m->r->shared && m->thp->pmd && b < m->blocks;
}

struct model *model_new(const struct region *r, const struct thp_rules *thp,
			pid_t parent)
{
	struct model *m = calloc(1, sizeof(*m));
	unsigned long nblk = (r->pages + HPAGE_PAGES - 1) / HPAGE_PAGES;
	int w;

	if (!m)
		demo_die_errno("calloc");
	m->r = r;
	m->next_id = ID_ZERO + 1;
	for (w = 0; w < WHO_NR; w++) {
		m->p[w].pg = calloc(r->pages, sizeof(struct mpage));
		m->p[w].blk = calloc(nblk, 1);
		if (!m->p[w].pg || !m->p[w].blk)
			demo_die_errno("calloc");
	}
	if (r->shared) {
		m->shmem = calloc(r->pages, sizeof(*m->shmem));
		if (!m->shmem)
			demo_die_errno("calloc");
	}
	if (r->huge) {
		m->thp = thp;
		/* region_map() aligned the start to 2 MiB */
		m->blocks = r->pages / HPAGE_PAGES;
		if (!thp->fault_allocs(&m->thp_seen))
			m->thp_seen = 0;
	}
	m->p[WHO_PARENT].live = true;
	m->p[WHO_PARENT].pid = parent;
	return m;
}

void model_free(struct model *m)
{
	int w;

	for (w = 0; w < WHO_NR; w++) {
		free(m->p[w].pg);
		free(m->p[w].blk);
	}
	free(m->shmem);
	free(m);
}

static struct mpage *model_page(struct model *m, enum demo_who who,
				unsigned long page)
{
	if (who >= WHO_NR || !m->p[who].live || page >= m->r->pages)
		demo_die("internal: model: process %d, page %lu", who, page);
	return &m->p[who].pg[page];
}

/* A PMD fault mapped block @b: a new THP, or the huge zero page. */
static void map_block(struct model *m, enum demo_who who, unsigned long b,
		      bool zero, bool copied)
{
	struct mpage *pg = &m->p[who].pg[b * HPAGE_PAGES];
	unsigned int first = m->next_id;
	unsigned long i;

	for (i = 0; i < HPAGE_PAGES; i++) {
		pg[i].id = zero ? ID_ZERO : m->next_id++;
		pg[i].folio = zero ? 0 : first;
		pg[i].wr = !zero;
		pg[i].copied = copied;
	}
	m->p[who].blk[b] = zero ? BLK_HZP : BLK_THP;
	/* do_huge_pmd_anonymous_page() prepares the anon_vma, reads too */
	m->anon_vma = true;
}

/* Does the other process map any page of the THP @folio in block @b? */
static bool other_maps_folio(const struct model *m, enum demo_who who,
			     unsigned long b, unsigned int folio)
{
	const struct mproc *other = &m->p[!who];
	unsigned long i;

	if (!other->live || !folio || b >= m->blocks)
		return false;
	for (i = b * HPAGE_PAGES; i < (b + 1) * HPAGE_PAGES; i++)
		if (other->pg[i].folio == folio)
			return true;
	return false;
}

enum demo_event model_read(struct model *m, enum demo_who who,
			   unsigned long page)
{
	struct mpage *pg = model_page(m, who, page);
	unsigned long b = page / HPAGE_PAGES;
	unsigned char *blk = &m->p[who].blk[b];

	if (pg->id != ID_NONE)
		return EV_NONE;
	/* shmem read faults map neighbours too (fault-around): unpredictable */
	if (m->r->shared)
		demo_die("internal: model: read fault on shared region %s",
			 m->r->name);
	if (*blk == BLK_NONE && block_eligible(m, b)) {
		/* do_huge_pmd_anonymous_page(), read */
		if (thp_took_one(m)) {
			/* no huge zero page to map (use_zero_page 0) */
			map_block(m, who, b, false, false);
			m->p[who].ev[EV_NEW]++;
			return EV_NEW;
		}
		if (m->thp->huge_zero) {
			map_block(m, who, b, true, false);
			m->p[who].ev[EV_ZERO_MAP]++;
			return EV_ZERO_MAP;
		}
	}
	if (block_eligible(m, b))
		*blk = BLK_PTE;
	pg->id = ID_ZERO;
	pg->folio = 0;
	pg->wr = 0;
	pg->copied = 0;
	m->p[who].ev[EV_ZERO_MAP]++;
	return EV_ZERO_MAP;
}

/*
 * A write to a PMD-mapped block (do_huge_pmd_wp_page()). Returns the
 * event if the fault ends there; EV_NONE if it went on as a 4 KiB fault
 * (the PMD was split, or there was no PMD).
 */
static enum demo_event write_block(struct model *m, enum demo_who who,
				   unsigned long page)
{
	unsigned long b = page / HPAGE_PAGES, i;
	struct mproc *me = &m->p[who];
	struct mpage *pg = &me->pg[page];

	switch (me->blk[b]) {
	case BLK_NONE:
	case BLK_HZP:
		/*
		 * An empty block: do_huge_pmd_anonymous_page() maps a THP, or
		 * falls back to 4 KiB pages. The huge zero page: 7.x
		 * (do_huge_zero_wp_pmd()) maps a whole new THP; older kernels,
		 * or 7.x when none can be allocated, split the PMD into 4 KiB
		 * zero pages (no event). Either way thp_fault_alloc says.
		 */
		if (me->blk[b] == BLK_NONE && !block_eligible(m, b))
			return EV_NONE;
		if (thp_took_one(m)) {
			bool zero = me->blk[b] == BLK_HZP;

			map_block(m, who, b, false, zero);
			return zero ? EV_THP_ZERO : EV_NEW;
		}
		me->blk[b] = BLK_PTE;
		return EV_NONE;
	case BLK_THP:
		if (pg->wr)
			return EV_NONE;
		if (other_maps_folio(m, who, b, pg->folio)) {
			/* still shared: split this PMD, go on with 4 KiB */
			me->blk[b] = BLK_PTE;
			me->ev[EV_THP_SPLIT]++;
			return EV_NONE;
		}
		for (i = b * HPAGE_PAGES; i < (b + 1) * HPAGE_PAGES; i++)
			me->pg[i].wr = 1;
		return EV_THP_REUSE;
	}
	return EV_NONE;
}

enum demo_event model_write(struct model *m, enum demo_who who,
			    unsigned long page)
{
	struct mpage *pg = model_page(m, who, page);
	struct mproc *other = &m->p[!who];
	enum demo_event ev;

	if (m->r->shared) {
		/* do_shared_fault(): the page cache page, mapped writable */
		if (pg->id != ID_NONE)
			return EV_NONE;
		if (!m->shmem[page])
			m->shmem[page] = m->next_id++;
		pg->id = m->shmem[page];
		pg->wr = 1;
		ev = EV_NEW;
		goto out;
	}
	if (m->thp) {
		ev = write_block(m, who, page);
		if (ev != EV_NONE) {
			m->anon_vma = true;
			goto out;
		}
	}
	if (pg->id == ID_NONE) {
		/* do_anonymous_page() */
		pg->id = m->next_id++;
		pg->folio = 0;
		pg->copied = 0;
		ev = EV_NEW;
	} else if (pg->id == ID_ZERO) {
		/* wp_page_copy() from the zero page */
		pg->id = m->next_id++;
		pg->folio = 0;
		pg->copied = 1;
		ev = EV_COW_ZERO;
	} else if (pg->wr) {
		return EV_NONE;
	} else if ((other->live && other->pg[page].id == pg->id) ||
		   other_maps_folio(m, who, page / HPAGE_PAGES, pg->folio)) {
		/*
		 * do_wp_page(): the page, or another page of its THP, is
		 * still mapped elsewhere: copy
		 */
		pg->id = m->next_id++;
		pg->folio = 0;
		pg->copied = 1;
		ev = EV_COW_COPY;
	} else if (pg->folio) {
		/*
		 * A page of a PTE-mapped THP only this process maps: 6.12
		 * and older copy it, 6.15+ reuse the large folio. No demo
		 * gets here; say so rather than guess.
		 */
		demo_die("model: page %lu, of a split THP only pid %d maps: kernels differ",
			 page, m->p[who].pid);
	} else {
		/* do_wp_page(): only our reference left, reuse */
		ev = EV_WP_REUSE;
	}
	pg->wr = 1;
	m->anon_vma = true;
out:
	m->p[who].ev[ev]++;
	return ev;
}

static enum demo_event range(enum demo_event (*fn)(struct model *m,
						   enum demo_who who,
						   unsigned long page),
			     struct model *m, enum demo_who who,
			     unsigned long first, unsigned long n)
{
	enum demo_event ev = EV_NONE;
	unsigned long i;

	for (i = first; i < first + n; i++)
		ev = fn(m, who, i);
	return ev;
}

enum demo_event model_write_range(struct model *m, enum demo_who who,
				  unsigned long first, unsigned long n)
{
	return range(model_write, m, who, first, n);
}

enum demo_event model_read_range(struct model *m, enum demo_who who,
				 unsigned long first, unsigned long n)
{
	return range(model_read, m, who, first, n);
}

void model_fork(struct model *m, pid_t pid)
{
	struct mproc *parent = &m->p[WHO_PARENT], *child = &m->p[WHO_CHILD];
	unsigned long i;

	memset(child->pg, 0, m->r->pages * sizeof(*child->pg));
	memset(child->blk, 0, (m->r->pages + HPAGE_PAGES - 1) / HPAGE_PAGES);
	memset(child->ev, 0, sizeof(child->ev));
	child->live = true;
	child->pid = pid;
	/*
	 * copy_page_range() skips a VMA without an anon_vma: always a shared
	 * one, and a private one that was never written.
	 */
	if (m->r->shared || !m->anon_vma)
		return;
	/* copy_huge_pmd() shares a PMD-mapped THP (or huge zero page) too */
	memcpy(child->blk, parent->blk,
	       (m->r->pages + HPAGE_PAGES - 1) / HPAGE_PAGES);
	for (i = 0; i < m->r->pages; i++) {
		if (parent->pg[i].id == ID_NONE)
			continue;
		parent->pg[i].wr = 0;
		child->pg[i].id = parent->pg[i].id;
		child->pg[i].folio = parent->pg[i].folio;
	}
}

void model_exit(struct model *m, enum demo_who who)
{
	memset(m->p[who].pg, 0, m->r->pages * sizeof(struct mpage));
	memset(m->p[who].blk, 0, (m->r->pages + HPAGE_PAGES - 1) / HPAGE_PAGES);
	memset(m->p[who].ev, 0, sizeof(m->p[who].ev));
	m->p[who].live = false;
}

bool model_take(struct model *m, enum demo_who who, struct model_view *v)
{
	const struct mproc *other = &m->p[!who];
	struct mproc *me = &m->p[who];
	unsigned long i;

	if (!me->live)
		return false;
	memset(v, 0, sizeof(*v));
	v->pid = me->pid;
	for (i = 0; i < m->r->pages; i++) {
		const struct mpage *pg = &me->pg[i];

		if (pg->id == ID_NONE)
			continue;
		v->resident++;
		if (pg->id == ID_ZERO) {
			v->zero++;
		} else if (other->live && other->pg[i].id == pg->id) {
			v->shared++;
		} else {
			v->exclusive++;
			v->copied += pg->copied;
		}
	}
	memcpy(v->ev, me->ev, sizeof(v->ev));
	memset(me->ev, 0, sizeof(me->ev));
	return true;
}

unsigned long long model_thp_resync(struct model *m)
{
	unsigned long long now, missed;

	if (!m->thp || m->r->shared || !m->thp->fault_allocs(&now))
		return 0;
	missed = now > m->thp_seen ? now - m->thp_seen : 0;
	m->thp_seen = now;
	return missed;
}
