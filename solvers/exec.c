/* The exec adapter: fork + execve of the user's program once per record, no shell, bounded in time, in a process
 * group of its own so a timeout ends whatever it started; its output is kept (the last 2 KB) for the error. */
#include "exec.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define EX_TAIL 2048                    /* bytes of the program's output kept for the error */
#define EX_DEFAULT_TIMEOUT_S 60
#define EX_TIMEOUT_MAX_S 86400
#define EX_POLL_MS 50
#define EX_GRACE_MS 2000                /* between SIGTERM and SIGKILL */
#define EX_NAME_MAX 256

struct ex_priv {
	char *program;                  /* the resolved path: what runs, and the journal's "where" */
	int timeout_s;
};

/* The last EX_TAIL bytes of what the program wrote. */
struct ex_tail {
	char buf[EX_TAIL];
	size_t len;
	bool cut;                       /* more came before buf */
};

/* ---- finding the program ---- */

static bool ex_executable(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

/* The program's path: as given when it holds a '/', else the first match in PATH. NULL with errbuf set. */
static char *ex_resolve(const char *program, char *errbuf, size_t errlen)
{
	const char *path = getenv("PATH");

	if (strchr(program, '/')) {
		if (ex_executable(program))
			return strdup(program);
		snprintf(errbuf, errlen, "exec: %s: %s", program,
			 access(program, F_OK) != 0 ? strerror(errno) : "not an executable file");
		return NULL;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		size_t n = strcspn(p, ":");
		char cand[PATH_MAX];
		if (n && (size_t)snprintf(cand, sizeof cand, "%.*s/%s", (int)n, p, program) < sizeof cand &&
		    ex_executable(cand))
			return strdup(cand);
		if (!p[n])
			break;
		p += n + 1;
	}
	snprintf(errbuf, errlen, "exec: %s: not found in PATH", program);
	return NULL;
}

/* ---- the child's environment ---- */

static const char *const ex_vars[] = { "ACME_DNS_ACTION", "ACME_DNS_FQDN", "ACME_DNS_VALUE", "ACME_DNS_DOMAIN",
				       "ACME_DNS_ZONE" };
#define EX_NVARS (sizeof ex_vars / sizeof ex_vars[0])

/* Our variables of the same names are replaced; our EAB key is ours alone (as for the deploy hook). */
static bool ex_env_skipped(const char *entry)
{
	size_t n = strcspn(entry, "=");

	for (size_t i = 0; i < EX_NVARS; i++)
		if (strlen(ex_vars[i]) == n && strncmp(entry, ex_vars[i], n) == 0)
			return true;
	return n == strlen("ACME_DNS_CLI_EAB_HMAC_KEY") && strncmp(entry, "ACME_DNS_CLI_EAB_HMAC_KEY", n) == 0;
}

/* environ without the skipped entries, then the EX_NVARS of ours (malloc'd) and NULL. Free with ex_env_free. */
static char **ex_env_build(const char *const vals[EX_NVARS])
{
	size_t n = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	if (!(env = calloc(n + EX_NVARS + 1, sizeof *env)))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!ex_env_skipped(environ[i]))
			env[k++] = environ[i];
	for (size_t i = 0; i < EX_NVARS; i++) {
		size_t len = strlen(ex_vars[i]) + strlen(vals[i]) + 2;
		if (!(env[k + i] = malloc(len))) {
			while (i-- > 0)
				free(env[k + i]);
			free(env);
			return NULL;
		}
		snprintf(env[k + i], len, "%s=%s", ex_vars[i], vals[i]);
	}
	return env;
}

static void ex_env_free(char **env)
{
	size_t n = 0;

	while (env[n])
		n++;
	for (size_t i = n - EX_NVARS; i < n; i++)
		free(env[i]);
	free(env);
}

/* ---- running it ---- */

/* In the child: only async-signal-safe calls up to execve. An execve failure is reported through st (closed on
 * exec, so the parent reads nothing when the program started). */
static void ex_child(const char *path, char *const argv[], char *const env[], int out, int st)
{
	sigset_t none;
	int null = open("/dev/null", O_RDONLY);
	int e;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);       /* an ignored signal would stay ignored across execve */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0) {
		e = errno;
		(void)!write(st, &e, sizeof e);
		_exit(127);
	}
	/* The state lock and every other descriptor of ours stay here, even if the program leaves a daemon behind. */
	if (st > 3)
		close_range(3, (unsigned)st - 1, 0);
	if (st >= 3)
		close_range((unsigned)st + 1, ~0U, 0);
	execve(path, argv, env);
	e = errno;
	(void)!write(st, &e, sizeof e);
	_exit(127);
}

static long ex_ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

static void ex_tail_add(struct ex_tail *t, const char *b, size_t n)
{
	if (n >= EX_TAIL) {
		t->cut = t->cut || t->len > 0 || n > EX_TAIL;
		memcpy(t->buf, b + n - EX_TAIL, EX_TAIL);
		t->len = EX_TAIL;
		return;
	}
	if (t->len + n > EX_TAIL) {
		size_t drop = t->len + n - EX_TAIL;
		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
		t->cut = true;
	}
	memcpy(t->buf + t->len, b, n);
	t->len += n;
}

/* Reads what is there. Returns false at end of file or on an error. */
static bool ex_read(int fd, struct ex_tail *t)
{
	char b[4096];
	ssize_t n = read(fd, b, sizeof b);

	if (n > 0)
		ex_tail_add(t, b, (size_t)n);
	return n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN));
}

/* Reads what is in the pipe now, without waiting for more. */
static void ex_drain(int fd, struct ex_tail *t)
{
	char b[4096];
	ssize_t n;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((n = read(fd, b, sizeof b)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			ex_tail_add(t, b, (size_t)n);
}

/* Collects the output of pid from fd until it exits or limit_ms pass. Returns 1 with *status set, 0 at the limit,
 * -1 when it cannot be waited for. After the exit, only what is already in the pipe is read: a daemon the
 * program left behind may hold the pipe open. */
/* Waits for the program, collecting its output, at most limit_ms, or until *cancel is set (cancel may be NULL).
 * Returns 1 with *status set, 0 at the time limit or on cancel, -1 when waitpid fails. */
static int ex_wait(pid_t pid, int fd, long limit_ms, volatile sig_atomic_t *cancel, struct ex_tail *t, int *status)
{
	struct timespec t0;
	bool open = true;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		long left = limit_ms - ex_ms_since(&t0);
		if (w == pid) {
			if (open)
				ex_drain(fd, t);
			return 1;
		}
		if (w < 0 && errno != EINTR)
			return -1;
		if (left <= 0 || (cancel && *cancel))
			return 0;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ms = left < EX_POLL_MS ? (int)left : EX_POLL_MS;
		if (open && poll(&pfd, 1, ms) > 0)
			open = ex_read(fd, t);
		else if (!open)
			poll(NULL, 0, ms);
	}
}

/* Ends the program's whole process group: SIGTERM, then SIGKILL after EX_GRACE_MS. */
static void ex_kill_group(pid_t pid, int fd, struct ex_tail *t)
{
	int status;

	kill(-pid, SIGTERM);
	if (ex_wait(pid, fd, EX_GRACE_MS, NULL, t, &status) != 1) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	kill(-pid, SIGKILL);            /* what it started and left in its group */
}

/* Forks and runs argv[0]. Returns 1 with *status set, 0 when it was killed at the time limit, -1 with errbuf set
 * (fork, pipe or execve failed). */
static int ex_spawn(const struct ex_priv *p, char *const argv[], char *const env[], volatile sig_atomic_t *cancel,
		    struct ex_tail *t, int *status, char *errbuf, size_t errlen)
{
	int out[2] = { -1, -1 }, st[2] = { -1, -1 }, e = 0, rc;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(st, O_CLOEXEC) != 0) {
		snprintf(errbuf, errlen, "exec: pipe: %s", strerror(errno));
		if (out[0] >= 0) {
			close(out[0]);
			close(out[1]);
		}
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == 0)
		ex_child(p->program, argv, env, out[1], st[1]);
	e = errno;
	close(out[1]);
	close(st[1]);
	if (pid < 0) {
		snprintf(errbuf, errlen, "exec: fork: %s", strerror(e));
		close(out[0]);
		close(st[0]);
		return -1;
	}
	setpgid(pid, pid);              /* also here, so kill(-pid) works whichever runs first */
	rc = ex_wait(pid, out[0], (long)p->timeout_s * 1000L, cancel, t, status);
	if (rc != 1)
		ex_kill_group(pid, out[0], t);
	if (read(st[0], &e, sizeof e) == (ssize_t)sizeof e) {
		snprintf(errbuf, errlen, "exec: cannot run %s: %s", p->program, strerror(e));
		rc = -1;
	} else if (rc < 0) {
		snprintf(errbuf, errlen, "exec: %s could not be waited for", p->program);
	}
	close(out[0]);
	close(st[0]);
	return rc;
}

/* ---- reporting ---- */

/* The output made printable (a line break stays), trailing blank lines dropped. */
static void ex_tail_clean(struct ex_tail *t)
{
	for (size_t i = 0; i < t->len; i++)
		if (t->buf[i] != '\n' && ((unsigned char)t->buf[i] < 0x20 || (unsigned char)t->buf[i] == 0x7f))
			t->buf[i] = ' ';
	while (t->len > 0 && (t->buf[t->len - 1] == '\n' || t->buf[t->len - 1] == ' '))
		t->len--;
}

/* The error of a failed run: what happened, then as much of the end of the output as fits. The whole kept output
 * goes to the log when it does not fit. */
static void ex_fail(const char *head, const struct ex_tail *t, char *errbuf, size_t errlen)
{
	static const char intro[] = "; its output ends:\n";
	size_t used = (size_t)snprintf(errbuf, errlen, "%s", head), room;
	bool whole;

	if (t->len == 0)
		return;
	room = used + sizeof intro < errlen ? errlen - used - sizeof intro : 0;
	whole = t->len <= room && !t->cut;
	if (!whole)
		log_warn("%s; its output%s:\n%.*s", head, t->cut ? " (the last 2 KB)" : "", (int)t->len, t->buf);
	if (room == 0)
		return;
	snprintf(errbuf + used, errlen - used, "%s%.*s", whole ? "; its output:\n" : intro,
		 (int)(t->len > room ? room : t->len), t->buf + (t->len > room ? t->len - room : 0));
}

/* One run for one record; a set *cancel (cancel may be NULL) ends it early. Returns 0 or -1 with errbuf set. */
static int ex_run(const struct ex_priv *p, const char *action, const struct solver_record *r,
		  volatile sig_atomic_t *cancel, char *errbuf, size_t errlen)
{
	const char *name = r->target && *r->target ? r->target : r->fqdn;
	char fqdn[EX_NAME_MAX + 1], zone[EX_NAME_MAX + 1] = "", head[EX_NAME_MAX + PATH_MAX + 128];
	struct ex_tail t = { .len = 0 };
	int status = 0, rc;
	char **env;

	if (!name || !r->value || !r->domain || strlen(name) >= EX_NAME_MAX - 1) {
		snprintf(errbuf, errlen, "exec: a record lacks a name, domain or value");
		return -1;
	}
	snprintf(fqdn, sizeof fqdn, "%s%s", name, name[strlen(name) - 1] == '.' ? "" : ".");
	if (r->zone && *r->zone)
		snprintf(zone, sizeof zone, "%.*s%s", EX_NAME_MAX - 2, r->zone,
			 r->zone[strlen(r->zone) - 1] == '.' ? "" : ".");
	const char *vals[EX_NVARS] = { action, fqdn, r->value, r->domain, zone };
	char *argv[] = { p->program, (char *)action, fqdn, (char *)r->value, NULL };
	if (!(env = ex_env_build(vals))) {
		snprintf(errbuf, errlen, "exec: out of memory");
		return -1;
	}
	log_debug("exec: %s %s %s %s", p->program, action, fqdn, r->value);
	rc = ex_spawn(p, argv, env, cancel, &t, &status, errbuf, errlen);
	ex_env_free(env);
	ex_tail_clean(&t);
	if (t.len)
		log_debug("exec: %s %s %s said:\n%.*s", p->program, action, fqdn, (int)t.len, t.buf);
	if (rc < 0)
		return -1;
	if (rc == 0 && cancel && *cancel)
		snprintf(head, sizeof head, "exec: %s %s %s interrupted (killed)", p->program, action, fqdn);
	else if (rc == 0)
		snprintf(head, sizeof head, "exec: %s did not finish within %d s (killed)", p->program, p->timeout_s);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	else if (WIFEXITED(status))
		snprintf(head, sizeof head, "exec: %s %s %s failed with exit status %d", p->program, action, fqdn,
			 WEXITSTATUS(status));
	else
		snprintf(head, sizeof head, "exec: %s %s %s was killed by signal %d", p->program, action, fqdn,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	ex_fail(head, &t, errbuf, errlen);
	return -1;
}

/* ---- the solver ---- */

static int ex_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (ex_run(s->priv, "present", &recs[i], s->cancel, errbuf, errlen) != 0)
			return -1;
		log_info("exec: presented TXT at %s", recs[i].target ? recs[i].target : recs[i].fqdn);
	}
	return 0;
}

/* Every record gets its run, also after a failure and also one whose present never ran (the engine cleans up the
 * whole batch after a partial present): the program must take a value it does not have calmly. */
static int ex_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	int first = 0;

	for (size_t i = 0; i < n; i++) {
		char err[1024] = "";
		/* Clean-up is not interruptible: it is what an interrupted run still owes. */
		if (ex_run(s->priv, "cleanup", &recs[i], NULL, err, sizeof err) == 0)
			continue;
		solver_error_keep(&first, err, errbuf, errlen);
	}
	return first;
}

static void ex_destroy(struct solver *s)
{
	struct ex_priv *p = s->priv;

	if (p)
		free(p->program);
	free(p);
	free(s);
}

static const struct solver_ops ex_ops = {
	.name = "exec",
	.present = ex_present,
	.cleanup = ex_cleanup,
	.destroy = ex_destroy,
};

struct solver *solver_exec_new(const struct exec_options *o, char *errbuf, size_t errlen)
{
	struct solver *s;
	struct ex_priv *p;
	char *path;

	if (!o || !o->program || !*o->program) {
		snprintf(errbuf, errlen, "exec: no program given (--exec-program or EXEC_PATH)");
		return NULL;
	}
	if (o->timeout_s < 0 || o->timeout_s > EX_TIMEOUT_MAX_S) {
		snprintf(errbuf, errlen, "exec: the timeout must be 0 (the default, %d s) to %d s", EX_DEFAULT_TIMEOUT_S,
			 EX_TIMEOUT_MAX_S);
		return NULL;
	}
	if (!(path = ex_resolve(o->program, errbuf, errlen)))
		return NULL;
	s = calloc(1, sizeof *s);
	p = calloc(1, sizeof *p);
	if (!s || !p) {
		snprintf(errbuf, errlen, "out of memory");
		free(path);
		free(p);
		free(s);
		return NULL;
	}
	p->program = path;
	p->timeout_s = o->timeout_s ? o->timeout_s : EX_DEFAULT_TIMEOUT_S;
	s->ops = &ex_ops;
	s->caps = (struct solver_caps){ .appends = true, .batch_max = 0, .follows_cname = true };
	s->priv = p;
	s->where = p->program;
	return s;
}
