/* The exec solver: small scripts in a temporary directory see the documented argv and environment, a failure
 * brings their output into the error, a timeout ends them (and what they started) within its bound, and a
 * program that cannot run is refused with a clear message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "exec.h"
#include "log.h"
#include "solver.h"

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define V1 "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo"
#define V2 "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM"

static char dir[256];

static const struct solver_record R1 = { .domain = "example.test", .fqdn = "_acme-challenge.example.test",
					 .value = V1, .target = "abc.auth.example.test", .zone = "auth.example.test" };
static const struct solver_record R2 = { .domain = "example.test", .fqdn = "_acme-challenge.example.test",
					 .value = V2, .target = NULL, .zone = NULL };

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/test_exec.XXXXXX", t && *t ? t : "/tmp");
	log_setup(LOG_LVL_ERROR, 0);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes a script dir/name with body (after the #! line) and mode; returns its path (static buffer). */
static const char *script(const char *name, const char *body, mode_t mode)
{
	static char path[4200];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/bash\n%s", body);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* The contents of dir/name ("" when missing), in a static buffer. */
static const char *slurp(const char *name)
{
	static char buf[8192];
	char path[4200];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	buf[0] = '\0';
	if ((f = fopen(path, "r"))) {
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static struct solver *make(const char *program, int timeout_s)
{
	struct exec_options o = { .program = program, .timeout_s = timeout_s };
	char err[512] = "";
	struct solver *s = solver_exec_new(&o, err, sizeof err);

	if (!s)
		fail_msg("solver_exec_new(%s): %s", program, err);
	return s;
}

/* Whether pid runs (a zombie waiting for its new parent to reap it does not). */
static bool running(long pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return false;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* argv, the environment, stdin and our descriptors, as the header documents them. */
static void test_argv_and_environment(void **state)
{
	char body[2048], err[1024] = "";
	int fd = open("/dev/null", O_RDONLY);   /* stands for the state lock: must not reach the program */
	struct solver *s;

	assert_true(fd > 2);
	snprintf(body, sizeof body,
		 "printf '%%s|' \"$#\" \"$1\" \"$2\" \"$3\" \"$ACME_DNS_ACTION\" \"$ACME_DNS_FQDN\" \"$ACME_DNS_VALUE\" "
		 "\"$ACME_DNS_DOMAIN\" \"$ACME_DNS_ZONE\" \"$TEST_EXEC_PARENT\" \"${ACME_DNS_CLI_EAB_HMAC_KEY-unset}\" "
		 ">>%s/calls\n"
		 "if read -r line; then echo -n 'stdin:data|'; else echo -n 'stdin:eof|'; fi >>%s/calls\n"
		 "if [ -e /proc/$$/fd/%d ]; then echo 'fd:inherited'; else echo 'fd:closed'; fi >>%s/calls\n",
		 dir, dir, fd, dir);
	setenv("TEST_EXEC_PARENT", "from-parent", 1);
	setenv("ACME_DNS_VALUE", "stale-value-of-ours", 1);
	setenv("ACME_DNS_CLI_EAB_HMAC_KEY", "secret-eab-key", 1);
	s = make(script("hook.sh", body, 0755), 0);
	assert_string_equal(s->ops->name, "exec");
	assert_true(s->caps.appends);
	assert_true(s->caps.follows_cname);
	assert_non_null(strstr(s->where, "/hook.sh"));
	struct solver_record recs[] = { R1, R2 };
	assert_int_equal(solver_present(s, recs, 2, err, sizeof err), 0);
	assert_int_equal(solver_cleanup(s, recs, 1, err, sizeof err), 0);
	/* The engine hands records over by zone, then name: R2 (zone unknown) before R1. */
	assert_string_equal(slurp("calls"),
			    "3|present|_acme-challenge.example.test.|" V2 "|present|_acme-challenge.example.test.|" V2
			    "|example.test||from-parent|unset|stdin:eof|fd:closed\n"
			    "3|present|abc.auth.example.test.|" V1 "|present|abc.auth.example.test.|" V1
			    "|example.test|auth.example.test.|from-parent|unset|stdin:eof|fd:closed\n"
			    "3|cleanup|abc.auth.example.test.|" V1 "|cleanup|abc.auth.example.test.|" V1
			    "|example.test|auth.example.test.|from-parent|unset|stdin:eof|fd:closed\n");
	unsetenv("ACME_DNS_VALUE");
	unsetenv("ACME_DNS_CLI_EAB_HMAC_KEY");
	close(fd);
	solver_free(s);
}

/* A program found in PATH by name. */
static void test_path_lookup(void **state)
{
	char err[512] = "";
	struct solver *s = make("true", 0);

	assert_int_equal(s->where[0], '/');
	assert_int_equal(solver_present(s, &R1, 1, err, sizeof err), 0);
	solver_free(s);
}

/* Exit status 7: an error that names it and carries the program's stderr (and stdout). */
static void test_failure_carries_stderr(void **state)
{
	char err[1024] = "";
	struct solver *s = make(script("fail.sh", "echo 'to stdout'\necho \"refused: $2\" >&2\nexit 7\n", 0755), 0);

	assert_int_equal(solver_present(s, &R1, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "fail.sh present abc.auth.example.test. failed with exit status 7"));
	assert_non_null(strstr(err, "refused: abc.auth.example.test."));
	assert_non_null(strstr(err, "to stdout"));
	solver_free(s);
}

/* Much output: the error keeps its end, within the caller's buffer. */
static void test_long_output_keeps_the_end(void **state)
{
	char err[1024];
	struct solver *s = make(script("long.sh", "for i in $(seq 1 500); do echo \"line $i of the output\" >&2; done\n"
						  "echo 'the last word' >&2\nexit 1\n", 0755), 0);

	memset(err, 'x', sizeof err);
	assert_int_equal(solver_present(s, &R1, 1, err, sizeof err), -1);
	assert_true(strlen(err) < sizeof err);
	assert_non_null(strstr(err, "failed with exit status 1"));
	assert_non_null(strstr(err, "the last word"));
	assert_null(strstr(err, "line 1 of the output"));
	solver_free(s);
}

/* A program killed by a signal. */
static void test_killed_by_signal(void **state)
{
	char err[1024] = "";
	struct solver *s = make(script("sig.sh", "kill -KILL $$\n", 0755), 0);

	assert_int_equal(solver_present(s, &R1, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "was killed by signal 9"));
	solver_free(s);
}

/* A program that hangs is ended at the timeout, with what it started; one that ignores SIGTERM gets SIGKILL. */
static void test_timeout_kills(void **state)
{
	char body[2048], err[1024] = "", pid_text[32];
	struct solver *s;
	double t0;
	long child;

	snprintf(body, sizeof body, "sleep 60 &\necho $! >%s/child.pid\nwait\n", dir);
	s = make(script("hang.sh", body, 0755), 1);
	t0 = now_s();
	assert_int_equal(solver_present(s, &R1, 1, err, sizeof err), -1);
	assert_true(now_s() - t0 < 4.0);
	assert_non_null(strstr(err, "hang.sh did not finish within 1 s (killed)"));
	snprintf(pid_text, sizeof pid_text, "%s", slurp("child.pid"));
	child = strtol(pid_text, NULL, 10);
	assert_true(child > 0);
	for (int i = 0; i < 20 && running(child); i++)
		usleep(50 * 1000);
	assert_false(running(child));                   /* the background sleep went with its group */
	solver_free(s);

	s = make(script("stubborn.sh", "trap '' TERM\nwhile :; do sleep 0.1; done\n", 0755), 1);
	t0 = now_s();
	assert_int_equal(solver_present(s, &R1, 1, err, sizeof err), -1);
	assert_true(now_s() - t0 < 6.0);                /* 1 s, the 2 s grace, then SIGKILL */
	assert_non_null(strstr(err, "did not finish within 1 s (killed)"));
	solver_free(s);
}

/* A program that leaves a daemon holding its output open does not make us wait for the daemon. */
static void test_leftover_daemon_not_waited_for(void **state)
{
	char body[2048], err[512] = "", pid_text[32];
	struct solver *s;
	double t0;

	snprintf(body, sizeof body, "sleep 30 &\necho $! >%s/daemon.pid\nexit 0\n", dir);
	s = make(script("daemon.sh", body, 0755), 10);
	t0 = now_s();
	assert_int_equal(solver_present(s, &R1, 1, err, sizeof err), 0);
	assert_true(now_s() - t0 < 3.0);
	snprintf(pid_text, sizeof pid_text, "%s", slurp("daemon.pid"));
	assert_true(strtol(pid_text, NULL, 10) > 0);
	kill((pid_t)strtol(pid_text, NULL, 10), SIGKILL);
	solver_free(s);
}

/* Clean-up runs every record even after one failed, and returns the first error. */
static void test_cleanup_goes_on(void **state)
{
	char body[2048], err[1024] = "";
	struct solver *s;

	snprintf(body, sizeof body, "echo \"$1 $3\" >>%s/cleanups\n[ \"$3\" = %s ] && { echo 'no such value' >&2; exit 2; }\n"
		 "exit 0\n", dir, V1);
	s = make(script("clean.sh", body, 0755), 0);
	struct solver_record recs[] = { R1, R2 };
	assert_int_equal(solver_cleanup(s, recs, 2, err, sizeof err), -1);
	assert_non_null(strstr(err, "no such value"));
	assert_string_equal(slurp("cleanups"), "cleanup " V2 "\ncleanup " V1 "\n");   /* zone, then name */
	solver_free(s);
}

/* What cannot run is refused when the adapter is made, or when execve fails. */
static void test_cannot_run(void **state)
{
	struct exec_options o = { 0 };
	char err[512] = "", path[4200];
	struct solver *s;

	assert_null(solver_exec_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "no program given"));
	o.program = script("plain.sh", "exit 0\n", 0644);
	assert_null(solver_exec_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "plain.sh: not an executable file"));
	snprintf(path, sizeof path, "%s/missing.sh", dir);
	o.program = path;
	assert_null(solver_exec_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "missing.sh: No such file or directory"));
	o.program = dir;
	assert_null(solver_exec_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "not an executable file"));
	o.program = "no-such-program-anywhere-adns";
	assert_null(solver_exec_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "not found in PATH"));
	o.program = "true";
	o.timeout_s = -1;
	assert_null(solver_exec_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "timeout"));

	/* executable, but its interpreter does not exist: execve fails in the child */
	snprintf(path, sizeof path, "%s/badinterp.sh", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/nonexistent/interpreter\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	s = make(path, 0);
	assert_int_equal(solver_present(s, &R1, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot run"));
	assert_non_null(strstr(err, "No such file or directory"));
	solver_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_argv_and_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_carries_stderr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_output_keeps_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_by_signal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_kills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftover_daemon_not_waited_for, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cleanup_goes_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cannot_run, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
