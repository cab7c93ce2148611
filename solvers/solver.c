/* The calls every caller makes on a solver: present and clean up in batches the adapter can take, grouped by
 * zone and name, paced to its request budget, journaled; free. */
#include "solver.h"

#include "journal.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *rec_name(const struct solver_record *r)
{
	return r->target ? r->target : r->fqdn ? r->fqdn : "";
}

/* Zone, then name: the records of one name sit together, and those of one zone, so an adapter that writes a
 * zone's changes at once (rfc2136, pdns) gets them in one call. */
static int rec_cmp(const void *a, const void *b)
{
	const struct solver_record *x = a, *y = b;
	int c = strcasecmp(x->zone ? x->zone : "", y->zone ? y->zone : "");
	return c ? c : strcasecmp(rec_name(x), rec_name(y));
}

/* The records of the next call from recs[i]: caps.batch_max of them (all when 0), but never one name's records
 * cut in two when the adapter replaces whole sets. */
static size_t solver_batch(const struct solver *s, const struct solver_record *recs, size_t i, size_t n)
{
	size_t k = s->caps.batch_max > 0 && s->caps.batch_max < n - i ? s->caps.batch_max : n - i;
	if (s->caps.appends || i + k >= n)
		return k;
	size_t cut = k;
	while (cut > 0 && strcasecmp(rec_name(&recs[i + cut - 1]), rec_name(&recs[i + cut])) == 0)
		cut--;
	if (cut > 0)
		return cut;
	while (i + k < n && strcasecmp(rec_name(&recs[i + k - 1]), rec_name(&recs[i + k])) == 0)
		k++;                    /* one name has more values than a batch holds: they go together */
	return k;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until a call of k records fits the request budget, given the calls made since start. Returns -1 when
 * *cancel was set while waiting (only when interruptible). */
static int solver_pace(const struct solver *s, long start, unsigned long *spent, size_t k, bool interruptible)
{
	unsigned per = s->caps.requests_per_record ? s->caps.requests_per_record : 1;
	unsigned long cost = (unsigned long)k * per;
	if (!s->caps.requests_per_minute || *spent == 0) {
		*spent += cost;
		return 0;
	}
	/* The requests made so far may use (spent / budget) minutes: wait for the rest of that time. */
	long due = start + (long)(*spent * 60000UL / s->caps.requests_per_minute);
	for (long left = due - now_ms(); left > 0; left = due - now_ms()) {
		if (interruptible && s->cancel && *s->cancel)
			return -1;
		long ms = left < 200 ? left : 200;
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
		nanosleep(&ts, NULL);
	}
	*spent += cost;
	return 0;
}

/* A sorted copy of recs (NULL when out of memory). */
static struct solver_record *solver_sorted(const struct solver_record *recs, size_t n)
{
	struct solver_record *c = malloc((n ? n : 1) * sizeof(*c));
	if (c && n) {
		memcpy(c, recs, n * sizeof(*c));
		qsort(c, n, sizeof(*c), rec_cmp);
	}
	return c;
}

static int solver_check(const struct solver *s, char *errbuf, size_t errlen)
{
	if (!s || !s->ops || !s->ops->present || !s->ops->cleanup) {
		snprintf(errbuf, errlen, "solver: no adapter");
		return -1;
	}
	return 0;
}

int solver_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	if (solver_check(s, errbuf, errlen) != 0)
		return -1;
	struct solver_record *sorted = solver_sorted(recs, n);
	if (!sorted) {
		snprintf(errbuf, errlen, "solver: out of memory");
		return -1;
	}
	long start = now_ms();
	unsigned long spent = 0;
	int rc = 0;
	for (size_t i = 0, k; rc == 0 && i < n; i += k) {
		k = solver_batch(s, sorted, i, n);
		if (solver_pace(s, start, &spent, k, true) != 0) {
			snprintf(errbuf, errlen, "%s: interrupted", s->ops->name ? s->ops->name : "solver");
			rc = -1;
			break;
		}
		for (size_t r = 0; s->journal && rc == 0 && r < k; r++)
			rc = journal_add(s->journal, s->ops->name, s->where, &sorted[i + r], errbuf, errlen) != 0 ? -1 : 0;
		if (rc == 0)
			rc = s->ops->present(s, sorted + i, k, errbuf, errlen);
	}
	free(sorted);
	return rc;
}

int solver_cleanup(struct solver *s, const struct solver_record *recs_in, size_t n, char *errbuf, size_t errlen)
{
	int first = 0;

	if (solver_check(s, errbuf, errlen) != 0)
		return -1;
	struct solver_record *recs = solver_sorted(recs_in, n);
	if (!recs) {
		snprintf(errbuf, errlen, "solver: out of memory");
		return -1;
	}
	long start = now_ms();
	unsigned long spent = 0;
	for (size_t i = 0, k; i < n; i += k) {
		k = solver_batch(s, recs, i, n);
		solver_pace(s, start, &spent, k, false);        /* clean-up is owed: not interruptible */
		char later[512];
		/* The first error goes to the caller; later ones would be lost, so they are logged. */
		int rc = s->ops->cleanup(s, recs + i, k, first ? later : errbuf, first ? sizeof later : errlen);
		if (rc != 0 && first == 0)
			first = rc;
		else if (rc != 0)
			log_warn("%s: cleanup: %s", s->ops->name ? s->ops->name : "solver", later);
		for (size_t r = 0; rc == 0 && s->journal && r < k; r++)
			if (journal_strike(s->journal, s->ops->name, &recs[i + r]) < 0)
				log_warn("journal: %s %s stays listed although it was removed", recs[i + r].fqdn,
					 recs[i + r].value);
	}
	free(recs);
	return first;
}

void solver_error_keep(int *first, const char *err, char *errbuf, size_t errlen)
{
	if (*first == 0)
		snprintf(errbuf, errlen, "%s", err);
	else
		log_warn("%s", err);
	*first = -1;
}

void solver_free(struct solver *s)
{
	if (s && s->ops && s->ops->destroy)
		s->ops->destroy(s);
}
