/* The journal of created challenge records, and the solver wrapper that keeps it: written before present, struck
 * off after a successful clean-up, kept after a failed one; unreadable entries are skipped, never deleted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "journal.h"
#include "solver.h"
#include "state.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[4096];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_journal.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	char err[256];
	struct state *st = state_open(tmpdir, 0, err, sizeof(err));
	*state = st;
	return st ? 0 : -1;
}

static int teardown(void **state)
{
	state_close(*state);
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const struct solver_record R1 = { .domain = "example.test", .fqdn = "_acme-challenge.example.test",
					 .value = "v1", .target = "x.auth.example.test", .zone = "auth.example.test" };
static const struct solver_record R2 = { .domain = "example.test", .fqdn = "_acme-challenge.example.test",
					 .value = "v2", .target = "x.auth.example.test", .zone = NULL };

static size_t count(struct journal *j)
{
	struct journal_entry *e;
	size_t n;
	char err[256];
	assert_int_equal(journal_list(j, &e, &n, err, sizeof(err)), 0);
	journal_entries_free(e, n);
	return n;
}

static void test_add_list_strike(void **state)
{
	struct journal *j = journal_new(*state);
	char err[256];
	assert_non_null(j);
	assert_int_equal(count(j), 0);  /* no folder yet */
	assert_int_equal(journal_add(j, "rfc2136", "127.0.0.1:53", &R1, err, sizeof(err)), 0);
	assert_int_equal(journal_add(j, "rfc2136", "127.0.0.1:53", &R2, err, sizeof(err)), 0);

	struct journal_entry *e;
	size_t n;
	assert_int_equal(journal_list(j, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].value, "v1");       /* oldest first */
	assert_string_equal(e[0].solver, "rfc2136");
	assert_string_equal(e[0].where, "127.0.0.1:53");
	assert_string_equal(e[0].target, "x.auth.example.test");
	assert_string_equal(e[0].zone, "auth.example.test");
	assert_string_equal(e[1].zone, "");
	assert_int_equal(e[0].pid, (long)getpid());
	journal_entries_free(e, n);

	char path[4200];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/journal", tmpdir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);

	assert_int_equal(journal_strike(j, "pdns", &R1), 0);        /* another solver's name: nothing */
	assert_int_equal(journal_strike(j, "rfc2136", &R1), 1);
	assert_int_equal(count(j), 1);
	assert_int_equal(journal_strike(j, "rfc2136", &R1), 0);
	journal_free(j);
}

static void test_unreadable_entry_kept(void **state)
{
	struct journal *j = journal_new(*state);
	char err[256], path[4200];
	assert_int_equal(journal_add(j, "exec", "/bin/hook", &R1, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/journal/0000000000.000000000-1-0.json", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{not json", f);
	fclose(f);
	struct journal_entry *e;
	size_t n;
	assert_int_equal(journal_list(j, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(err, "cannot be read"));
	journal_entries_free(e, n);
	assert_int_equal(access(path, F_OK), 0);
	journal_free(j);
}

/* A fake adapter that records calls and fails clean-up on demand. */
static int presented, cleaned, fail_cleanup;
static int fake_present(struct solver *s, const struct solver_record *r, size_t n, char *err, size_t errlen)
{
	presented += (int)n;
	return 0;
}
static int fake_cleanup(struct solver *s, const struct solver_record *r, size_t n, char *err, size_t errlen)
{
	if (fail_cleanup) {
		snprintf(err, errlen, "refused");
		return -1;
	}
	cleaned += (int)n;
	return 0;
}
static const struct solver_ops fake_ops = { "fake", fake_present, fake_cleanup, NULL };

static void test_solver_keeps_journal(void **state)
{
	struct journal *j = journal_new(*state);
	struct solver s = { .ops = &fake_ops, .caps = { .batch_max = 1 }, .where = "here", .journal = j };
	struct solver_record recs[2] = { R1, R2 };
	char err[256];
	assert_int_equal(solver_present(&s, recs, 2, err, sizeof(err)), 0);
	assert_int_equal(presented, 2);
	assert_int_equal(count(j), 2);
	fail_cleanup = 1;
	assert_int_equal(solver_cleanup(&s, recs, 2, err, sizeof(err)), -1);
	assert_int_equal(count(j), 2);          /* not removed: still listed */
	fail_cleanup = 0;
	assert_int_equal(solver_cleanup(&s, recs, 1, err, sizeof(err)), 0);
	assert_int_equal(count(j), 1);
	assert_int_equal(solver_cleanup(&s, recs + 1, 1, err, sizeof(err)), 0);
	assert_int_equal(count(j), 0);
	assert_int_equal(cleaned, 2);
	journal_free(j);
}

/* A journal that cannot be written stops present before anything is sent. */
static void test_journal_failure_stops_present(void **state)
{
	struct journal *j = journal_new(*state);
	struct solver s = { .ops = &fake_ops, .journal = j };
	char err[256], path[4200];
	snprintf(path, sizeof(path), "%s/journal", tmpdir);
	FILE *f = fopen(path, "w");                /* a file where the folder should be */
	assert_non_null(f);
	fclose(f);
	presented = 0;
	assert_int_equal(solver_present(&s, &R1, 1, err, sizeof(err)), -1);
	assert_int_equal(presented, 0);
	assert_non_null(strstr(err, "journal"));
	journal_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_list_strike, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_entry_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_solver_keeps_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_failure_stops_present, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
