/* set.c: the list of files in read_path a pass works on. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reader.h"

void rdset_init(struct rdset *s)
{
	s->e = NULL;
	s->n = s->cap = 0;
}

void rdset_clear(struct rdset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->e[i].fbkey);
		s->e[i].fbkey = NULL;
	}
	s->n = 0;
}

void rdset_free(struct rdset *s)
{
	rdset_clear(s);
	free(s->e);
	rdset_init(s);
}

int rdset_add(struct rdset *s, const struct rdentry *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct rdentry *p = realloc(s->e, cap * sizeof *p);
		if (p == NULL) {
			errno = ENOMEM;
			return -1;
		}
		s->e = p;
		s->cap = cap;
	}
	s->e[s->n] = *e;
	s->e[s->n].fbkey = NULL;
	s->n++;
	return 0;
}

/* Case-insensitive order first, so that a Windows lookup finds all the
 * case variants of a name next to each other; exact order breaks ties. */
static int cmp_names(const char *a, const char *b)
{
	int c = strcasecmp(a, b);
	return c != 0 ? c : strcmp(a, b);
}

static int cmp_entries(const void *a, const void *b)
{
	return cmp_names(((const struct rdentry *)a)->name, ((const struct rdentry *)b)->name);
}

void rdset_sort(struct rdset *s)
{
	if (s->n > 1)
		qsort(s->e, s->n, sizeof *s->e, cmp_entries);
}

long rdset_find(const struct rdset *s, const char *name, int fold)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = fold ? strcasecmp(name, s->e[mid].name) : cmp_names(name, s->e[mid].name);
		if (c == 0) {
			if (!fold)
				return (long)mid;
			/* More than one file equal ignoring case: the reader
			 * (one name on a case-insensitive system) means one
			 * of them, and we cannot tell which. */
			if ((mid > 0 && strcasecmp(name, s->e[mid - 1].name) == 0) ||
			    (mid + 1 < s->n && strcasecmp(name, s->e[mid + 1].name) == 0))
				return -2;
			return (long)mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

void rdset_report(struct rdset *s, long i, off_t pos)
{
	struct rdentry *e = &s->e[i];
	if (!e->have_pos || pos > e->pos)
		e->pos = pos;
	e->have_pos = 1;
}

int rdset_consumed(const struct rdentry *e)
{
	return e->have_pos && !e->ambiguous && e->pos == e->size;
}
