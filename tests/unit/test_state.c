/* State directory: default location, modes, atomic replace, refused paths, the lock across processes, names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[4096];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	chmod(path, 0700);      /* a test may leave a folder read-only */
	return remove(path);
}

static int make_tmpdir(void **state)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_state.XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *sub(const char *rel)
{
	static char buf[4][4200];
	static int next;
	char *b = buf[next++ % 4];
	snprintf(b, sizeof(buf[0]), "%s/%s", tmpdir, rel);
	return b;
}

static mode_t mode_of(const char *path)
{
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

/* Files in the folder whose name holds ".tmp.": leftovers of a write. */
static int temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (strstr(e->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

static void set_env(const char *name, const char *value)
{
	if (value)
		assert_int_equal(setenv(name, value, 1), 0);
	else
		assert_int_equal(unsetenv(name), 0);
}

static void expect_dir(const char *arg, const char *want)
{
	char *d = state_default_dir(arg);
	if (!want) {
		assert_null(d);
		return;
	}
	assert_non_null(d);
	assert_string_equal(d, want);
	free(d);
}

static void test_default_dir(void **state)
{
	char *saved[3];
	const char *names[3] = { "ACME_DNS_STATE_DIR", "XDG_DATA_HOME", "HOME" };
	for (int i = 0; i < 3; i++)
		saved[i] = getenv(names[i]) ? strdup(getenv(names[i])) : NULL;
	set_env("ACME_DNS_STATE_DIR", "/srv/acme");
	set_env("XDG_DATA_HOME", "/xdg");
	set_env("HOME", "/home/u");
	expect_dir("/given", "/given");
	expect_dir(NULL, "/srv/acme");
	expect_dir("", "/srv/acme");
	set_env("ACME_DNS_STATE_DIR", "");
	expect_dir(NULL, "/xdg/acme-dns-cli");
	set_env("ACME_DNS_STATE_DIR", NULL);
	expect_dir(NULL, "/xdg/acme-dns-cli");
	set_env("XDG_DATA_HOME", "relative/ignored");
	expect_dir(NULL, "/home/u/.local/share/acme-dns-cli");
	set_env("XDG_DATA_HOME", NULL);
	expect_dir(NULL, "/home/u/.local/share/acme-dns-cli");
	set_env("HOME", NULL);
	expect_dir(NULL, NULL);
	expect_dir("rel/dir", "rel/dir");
	for (int i = 0; i < 3; i++) {
		set_env(names[i], saved[i]);
		free(saved[i]);
	}
}

static void test_modes_and_round_trip(void **state)
{
	char err[512] = "";
	struct state *st = state_open(sub("a/b/state"), 0, err, sizeof(err));
	assert_non_null(st);
	assert_string_equal(state_path(st), sub("a/b/state"));
	assert_int_equal(mode_of(sub("a")), 0700);
	assert_int_equal(mode_of(sub("a/b/state")), 0700);
	assert_int_equal(state_write(st, "accounts/ca_dir/key.pem", "KEY\n", 4, 0600, err, sizeof(err)), 0);
	assert_int_equal(mode_of(sub("a/b/state/accounts")), 0700);
	assert_int_equal(mode_of(sub("a/b/state/accounts/ca_dir")), 0700);
	assert_int_equal(mode_of(sub("a/b/state/accounts/ca_dir/key.pem")), 0600);
	assert_int_equal(state_write(st, "certs/x/cert.pem", "CERT", 4, 0644, err, sizeof(err)), 0);
	assert_int_equal(mode_of(sub("a/b/state/certs/x/cert.pem")), 0644);
	size_t len = 0;
	char *s = state_read(st, "accounts/ca_dir/key.pem", &len);
	assert_non_null(s);
	assert_int_equal(len, 4);
	assert_string_equal(s, "KEY\n");
	free(s);
	static const char bin[] = { 'a', 0, 'b' };       /* binary data keeps its length */
	assert_int_equal(state_write(st, "bin", bin, sizeof(bin), 0600, err, sizeof(err)), 0);
	s = state_read(st, "bin", &len);
	assert_int_equal(len, 3);
	assert_memory_equal(s, bin, 3);
	free(s);
	assert_int_equal(state_write(st, "empty", "", 0, 0600, err, sizeof(err)), 0);
	s = state_read(st, "empty", NULL);
	assert_string_equal(s, "");
	free(s);
	state_close(st);
	state_close(NULL);
}

static void test_atomic_replace(void **state)
{
	char err[512] = "";
	struct state *st = state_open(sub("atomic"), 0, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(state_write(st, "d/f", "old", 3, 0600, err, sizeof(err)), 0);
	assert_int_equal(state_write(st, "d/f", "new!", 4, 0600, err, sizeof(err)), 0);
	char *s = state_read(st, "d/f", NULL);
	assert_string_equal(s, "new!");
	free(s);
	assert_int_equal(temp_files(sub("atomic/d")), 0);
	/* a rename that fails (a non-empty folder is in the way) leaves no temporary file behind */
	assert_int_equal(state_write(st, "d/sub/x", "x", 1, 0600, err, sizeof(err)), 0);
	assert_int_equal(state_write(st, "d/sub", "y", 1, 0600, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "rename"));
	assert_int_equal(temp_files(sub("atomic/d")), 0);
	if (geteuid() != 0) {   /* root writes into read-only folders */
		assert_int_equal(chmod(sub("atomic/d"), 0500), 0);
		err[0] = '\0';
		assert_int_equal(state_write(st, "d/f", "broken", 6, 0600, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "d/f"));
		assert_int_equal(chmod(sub("atomic/d"), 0700), 0);
		s = state_read(st, "d/f", NULL);
		assert_string_equal(s, "new!");
		free(s);
		assert_int_equal(temp_files(sub("atomic/d")), 0);
	}
	state_close(st);
}

static void test_missing_and_remove(void **state)
{
	char err[512] = "";
	struct state *st = state_open(sub("missing"), 0, err, sizeof(err));
	assert_non_null(st);
	errno = 0;
	size_t len = 99;
	assert_null(state_read(st, "nope/key.pem", &len));
	assert_int_equal(errno, ENOENT);
	assert_false(state_exists(st, "nope/key.pem"));
	assert_int_equal(state_write(st, "here", "1", 1, 0600, err, sizeof(err)), 0);
	assert_true(state_exists(st, "here"));
	assert_int_equal(state_remove(st, "here"), 0);
	assert_false(state_exists(st, "here"));
	assert_int_equal(state_remove(st, "here"), 0);
	errno = 0;
	assert_null(state_read(st, ".", NULL));
	state_close(st);
}

static void test_refused_paths(void **state)
{
	char err[512] = "";
	struct state *st = state_open(sub("refuse"), 0, err, sizeof(err));
	assert_non_null(st);
	const char *bad[] = { "../x", "/abs", "a/../b", "..", "a/..", ".", "", "a//b", "dir/", ".lock", NULL };
	for (int i = 0; bad[i]; i++) {
		err[0] = '\0';
		assert_int_equal(state_write(st, bad[i], "x", 1, 0600, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "refused"));
		errno = 0;
		assert_null(state_read(st, bad[i], NULL));
		assert_int_equal(errno, EINVAL);
		assert_false(state_exists(st, bad[i]));
		assert_int_equal(state_remove(st, bad[i]), -1);
	}
	assert_int_equal(state_write(st, NULL, "x", 1, 0600, err, sizeof(err)), -1);
	assert_int_equal(access(sub("x"), F_OK), -1);
	/* dots inside names are fine */
	assert_int_equal(state_write(st, "..hidden/a..b/.c", "x", 1, 0600, err, sizeof(err)), 0);
	state_close(st);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* In a child: state_open with a 1 s wait. Exit 0 when the outcome is as wanted, else a code saying what failed. */
static int child_open(const char *dir, int want_ok, long holder)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[512] = "", want[64];
		double t0 = now_s();
		struct state *st = state_open(dir, 1, err, sizeof(err));
		double secs = now_s() - t0;
		snprintf(want, sizeof(want), "is locked by another run (pid %ld)", holder);
		int rc = 0;
		if (want_ok && !st)
			rc = 10;
		else if (!want_ok && (st || !strstr(err, want) || !strstr(err, dir)))
			rc = 11;
		else if (!want_ok && (secs < 0.95 || secs > 5))
			rc = 12;
		state_close(st);
		_exit(rc);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_lock(void **state)
{
	char err[512] = "";
	const char *dir = sub("locked");
	struct state *st = state_open(dir, 0, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(mode_of(sub("locked/.lock")), 0600);
	assert_int_equal(child_open(dir, 0, (long)getpid()), 0);
	/* another open file in this very process is refused as well, at once with a 0 s wait */
	assert_null(state_open(dir, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "locked by another run"));
	state_close(st);
	assert_int_equal(child_open(dir, 1, 0), 0);
	st = state_open(dir, 0, err, sizeof(err));
	assert_non_null(st);
	state_close(st);
}

static void test_open_errors(void **state)
{
	char err[512] = "";
	FILE *f = fopen(sub("plainfile"), "w");
	assert_non_null(f);
	fclose(f);
	assert_null(state_open(sub("plainfile"), 0, err, sizeof(err)));
	assert_non_null(strstr(err, "plainfile"));
	assert_null(state_open(sub("plainfile/below"), 0, err, sizeof(err)));
	assert_null(state_open(NULL, 0, err, sizeof(err)));
}

static void expect_name(char *(*fn)(const char *), const char *in, const char *want)
{
	char *s = fn(in);
	if (!want) {
		assert_null(s);
		return;
	}
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_names(void **state)
{
	expect_name(state_ca_name, "https://127.0.0.1:14000/dir", "127.0.0.1_14000_dir");
	expect_name(state_ca_name, "https://acme-v02.api.letsencrypt.org/directory",
		    "acme-v02.api.letsencrypt.org_directory");
	expect_name(state_ca_name, "https://acme.example/dir?x=1#frag", "acme.example_dir");
	expect_name(state_ca_name, "https://user:pw@ca.example:8443/a/b", "ca.example_8443_a_b");
	expect_name(state_ca_name, "https://[::1]:14000/dir", "___1__14000_dir");
	expect_name(state_ca_name, "https://ca.example", "ca.example");
	expect_name(state_ca_name, "..", "_.");
	expect_name(state_ca_name, "https:///dir", NULL);
	expect_name(state_ca_name, "", NULL);
	expect_name(state_cert_name, "*.example.com", "_.example.com");
	expect_name(state_cert_name, "example.com", "example.com");
	expect_name(state_cert_name, "_acme.example.com", "_acme.example.com");
	expect_name(state_cert_name, "../etc/x", "_._etc_x");
	expect_name(state_cert_name, "..", "_.");
	expect_name(state_cert_name, "", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_dir),
		cmocka_unit_test(test_modes_and_round_trip),
		cmocka_unit_test(test_atomic_replace),
		cmocka_unit_test(test_missing_and_remove),
		cmocka_unit_test(test_refused_paths),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
