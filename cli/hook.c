/* The deploy hook: fork + execve of one program, no shell, bounded in time, in its own process group. */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define HOOK_POLL_NS 50000000L          /* 50 ms between looks at the child */
#define HOOK_KILL_GRACE_S 5             /* SIGTERM, then SIGKILL after this */

static int executable_file(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

char *cli_hook_resolve(const char *program, char *err, size_t errlen)
{
	if (strchr(program, '/')) {
		if (executable_file(program))
			return strdup(program);
		snprintf(err, errlen, "deploy hook %s: %s", program, access(program, F_OK) ? strerror(errno)
											: "not an executable file");
		return NULL;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		size_t n = strcspn(p, ":");
		char cand[4096];
		if (n && snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, p, program) < (int)sizeof(cand) &&
		    executable_file(cand))
			return strdup(cand);
		if (!p[n])
			break;
		p += n + 1;
	}
	snprintf(err, errlen, "deploy hook %s: not found in PATH", program);
	return NULL;
}

/* Variables the hook does not get from us: the ones we set, and our secret. */
static int env_skipped(const char *entry)
{
	static const char *const names[] = { "RENEWED_LINEAGE=", "RENEWED_DOMAINS=", "ACME_DNS_CLI_EAB_HMAC_KEY=" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

static char *join_names(const char *prefix, const char *const *names, size_t n)
{
	size_t len = strlen(prefix) + 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	size_t off = (size_t)snprintf(s, len, "%s", prefix);
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, len - off, "%s%s", i ? " " : "", names[i]);
	return s;
}

/* The hook's environment: a malloc'd array whose last two entries (before NULL) are malloc'd; env_free frees. */
static char **env_build(const char *lineage, const char *const *names, size_t n_names)
{
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **env = calloc(n + 3, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!env_skipped(environ[i]))
			env[k++] = environ[i];
	size_t len = strlen(lineage) + sizeof("RENEWED_LINEAGE=");
	env[k] = malloc(len);
	if (env[k])
		snprintf(env[k], len, "RENEWED_LINEAGE=%s", lineage);
	env[k + 1] = join_names("RENEWED_DOMAINS=", names, n_names);
	if (!env[k] || !env[k + 1]) {
		free(env[k]);
		free(env[k + 1]);
		free(env);
		return NULL;
	}
	return env;
}

static void env_free(char **env)
{
	size_t n = 0;
	while (env[n])
		n++;
	free(env[n - 1]);
	free(env[n - 2]);
	free(env);
}

/* In the child: only async-signal-safe calls from here to execve. */
static void child_exec(const char *path, char *const argv[], char *const env[])
{
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);        /* an ignored signal would stay ignored across execve */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0 && null != STDIN_FILENO) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	dup2(STDERR_FILENO, STDOUT_FILENO);  /* our stdout is for our own answer (--json) */
	/* The state lock and every other descriptor of ours stay here, even if the hook leaves a daemon behind. */
	if (close_range(3, ~0U, 0) != 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	execve(path, argv, env);
	_exit(127);
}

static double since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Waits for pid up to limit seconds. Returns 1 with *status set, 0 on timeout, -1 on error. */
static int wait_bounded(pid_t pid, double limit, int *status)
{
	struct timespec t0, pause = { 0, HOOK_POLL_NS };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (since(&t0) >= limit)
			return 0;
		nanosleep(&pause, NULL);
	}
}

/* Ends the hook's whole process group: SIGTERM, then SIGKILL. */
static void kill_group(pid_t pid, int *status)
{
	kill(-pid, SIGTERM);
	if (wait_bounded(pid, HOOK_KILL_GRACE_S, status) != 1) {
		kill(-pid, SIGKILL);
		waitpid(pid, status, 0);
	}
}

static int describe_status(const char *path, int status, char *err, size_t errlen)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(err, errlen, "deploy hook %s exited with 127 (could not be started, or said so)", path);
	else if (WIFEXITED(status))
		snprintf(err, errlen, "deploy hook %s exited with %d", path, WEXITSTATUS(status));
	else
		snprintf(err, errlen, "deploy hook %s was killed by signal %d", path,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}

int cli_hook_run(const char *path, const char *lineage, const char *const *names, size_t n_names, int timeout_s,
		 char *err, size_t errlen)
{
	char **env = env_build(lineage, names, n_names);
	char *argv[] = { (char *)path, NULL };
	if (!env) {
		snprintf(err, errlen, "deploy hook %s: out of memory", path);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0)
		child_exec(path, argv, env);
	env_free(env);
	if (pid < 0) {
		snprintf(err, errlen, "deploy hook %s: fork: %s", path, strerror(errno));
		return -1;
	}
	setpgid(pid, pid);               /* also here, so kill(-pid) works whichever runs first */
	int status = 0, r = wait_bounded(pid, timeout_s > 0 ? timeout_s : CLI_HOOK_TIMEOUT_S, &status);
	if (r == 1)
		return describe_status(path, status, err, errlen);
	kill_group(pid, &status);
	snprintf(err, errlen, "deploy hook %s %s", path,
		 r == 0 ? "did not finish in time and was killed" : "could not be waited for");
	return -1;
}
