/* The calls every caller makes on a solver: present and clean up in batches of the adapter's size, free. */
#include "solver.h"

#include "journal.h"
#include "log.h"

#include <stdio.h>

/* Records per call: caps.batch_max, or all of them when 0. */
static size_t solver_batch(const struct solver *s, size_t n)
{
	return s->caps.batch_max > 0 && s->caps.batch_max < n ? s->caps.batch_max : n;
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
	size_t step;

	if (solver_check(s, errbuf, errlen) != 0)
		return -1;
	step = solver_batch(s, n);
	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;
		for (size_t r = 0; s->journal && r < k; r++)
			if (journal_add(s->journal, s->ops->name, s->where, &recs[i + r], errbuf, errlen) != 0)
				return -1;
		int rc = s->ops->present(s, recs + i, k, errbuf, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int solver_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	size_t step;
	int first = 0;

	if (solver_check(s, errbuf, errlen) != 0)
		return -1;
	step = solver_batch(s, n);
	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;
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
	return first;
}

void solver_free(struct solver *s)
{
	if (s && s->ops && s->ops->destroy)
		s->ops->destroy(s);
}
