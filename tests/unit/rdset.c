/* rdset.c: the list of files a reader has (or has not) consumed: exact and
 * case-insensitive lookup, ambiguity, the furthest report, "consumed". */
#include <stdio.h>
#include <string.h>

#include "reader.h"
#include "tap.h"

static void add(struct rdset *s, const char *name, off_t size)
{
	struct rdentry e;
	memset(&e, 0, sizeof e);
	strcpy(e.name, name);
	e.size = size;
	rdset_add(s, &e);
}

int main(void)
{
	plan(14);
	struct rdset s;
	rdset_init(&s);
	for (int i = 0; i < 300; i++) {
		char n[32];
		snprintf(n, sizeof n, "receipt_%03d.log", i);
		add(&s, n, 10);
	}
	add(&s, "Dup_1.log", 5);
	add(&s, "dup_1.log", 5);
	rdset_sort(&s);
	long i = rdset_find(&s, "receipt_123.log", 0);
	ok(i >= 0 && strcmp(s.e[i].name, "receipt_123.log") == 0, "exact lookup among 302");
	is_int(rdset_find(&s, "RECEIPT_123.LOG", 0), -1, "exact lookup is case-sensitive");
	i = rdset_find(&s, "RECEIPT_123.LOG", 1);
	ok(i >= 0 && strcmp(s.e[i].name, "receipt_123.log") == 0, "folded lookup ignores case");
	is_int(rdset_find(&s, "receipt_999.log", 1), -1, "absent");
	is_int(rdset_find(&s, "DUP_1.log", 1), -2, "two names equal but for case: ambiguous");
	ok(rdset_find(&s, "dup_1.log", 0) >= 0 && rdset_find(&s, "Dup_1.log", 0) >= 0,
	   "... each found exactly");
	i = rdset_find(&s, "receipt_000.log", 0);
	ok(!rdset_consumed(&s.e[i]), "no report: not consumed");
	rdset_report(&s, i, 4);
	ok(!rdset_consumed(&s.e[i]), "part read: not consumed");
	rdset_report(&s, i, 10);
	ok(rdset_consumed(&s.e[i]), "read to the size: consumed");
	rdset_report(&s, i, 3);
	ok(rdset_consumed(&s.e[i]), "the furthest of several reports counts");
	rdset_report(&s, i, 11);
	ok(!rdset_consumed(&s.e[i]), "beyond the size: not consumed");
	s.e[i].pos = 10;
	s.e[i].ambiguous = 1;
	ok(!rdset_consumed(&s.e[i]), "ambiguous: not consumed");
	struct rdentry z;
	memset(&z, 0, sizeof z);
	strcpy(z.name, "empty_1.log");
	ok(!rdset_consumed(&z), "empty file, no report: not consumed");
	rdset_clear(&s);
	is_int((long long)s.n, 0, "cleared");
	rdset_free(&s);
	return done();
}
