/* The client's state directory: one locked folder, files inside it replaced atomically, names derived safely. */
#include "state.h"

#include "log.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_DIR_MODE  0700
#define STATE_LOCK_NAME ".lock"
#define STATE_MAX_FILE  (64L * 1024 * 1024)     /* keys, certificates and JSON; nothing near this */
#define STATE_LOCK_POLL_NS 100000000L

struct state {
	char *dir;
	int lock_fd;
	bool locked;
};

/* a + "/" + b, malloc'd. */
static char *state_join(const char *a, const char *b)
{
	size_t n = strlen(a) + 1 + strlen(b) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", a, b);
	return s;
}

char *state_default_dir(const char *dir)
{
	if (dir && *dir)
		return strdup(dir);
	const char *env = getenv("ACME_DNS_STATE_DIR");
	if (env && *env)
		return strdup(env);
	env = getenv("XDG_DATA_HOME");
	if (env && env[0] == '/')      /* the XDG spec says to ignore relative values */
		return state_join(env, "acme-dns-cli");
	env = getenv("HOME");
	if (env && *env)
		return state_join(env, ".local/share/acme-dns-cli");
	return NULL;
}

static int state_is_dir(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* mkdir -p: every missing folder of path made with mode. Returns 0 or -1 with errno set. */
static int state_mkdirs(const char *path, mode_t mode)
{
	char *p = strdup(path);
	if (!p)
		return -1;
	int rc = 0;
	for (char *s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST && !state_is_dir(p))
			rc = -1;
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	if (rc == 0 && !state_is_dir(path)) {
		errno = ENOTDIR;
		rc = -1;
	}
	return rc;
}

/* The pid the holder wrote into the lock file, or 0 when it cannot be read. */
static long state_lock_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *end;
	long pid = strtol(buf, &end, 10);
	return (end != buf && pid > 0) ? pid : 0;
}

static double state_elapsed(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* flock, retried every 100 ms until timeout_s has passed. Returns 0, or -1 (errno EWOULDBLOCK on timeout). */
static int state_flock_wait(int fd, const char *dir, int timeout_s)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int said = 0;; said = 1) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (state_elapsed(&start) >= (double)timeout_s) {
			errno = EWOULDBLOCK;
			return -1;
		}
		if (!said)
			log_info("state directory %s is locked by pid %ld; waiting up to %d s", dir,
				 state_lock_holder(fd), timeout_s);
		struct timespec pause = { .tv_sec = 0, .tv_nsec = STATE_LOCK_POLL_NS };
		nanosleep(&pause, NULL);
	}
}

/* Takes DIR/.lock and writes our pid into it so that a waiting run can name us. */
static int state_lock(struct state *st, int timeout_s, char *errbuf, size_t errlen)
{
	char *path = state_join(st->dir, STATE_LOCK_NAME);
	if (!path) {
		snprintf(errbuf, errlen, "state directory %s: out of memory", st->dir);
		return -1;
	}
	st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	free(path);
	if (st->lock_fd < 0) {
		snprintf(errbuf, errlen, "state directory %s: lock file: %s", st->dir, strerror(errno));
		return -1;
	}
	if (state_flock_wait(st->lock_fd, st->dir, timeout_s > 0 ? timeout_s : 0) != 0) {
		long holder = errno == EWOULDBLOCK ? state_lock_holder(st->lock_fd) : -1;
		if (holder < 0)
			snprintf(errbuf, errlen, "state directory %s: lock: %s", st->dir, strerror(errno));
		else if (holder > 0)
			snprintf(errbuf, errlen, "state directory %s is locked by another run (pid %ld)", st->dir, holder);
		else
			snprintf(errbuf, errlen, "state directory %s is locked by another run", st->dir);
		return -1;
	}
	st->locked = true;
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(st->lock_fd, 0) != 0 || pwrite(st->lock_fd, pid, (size_t)n, 0) != n)
		log_warn("state directory %s: cannot record our pid in the lock file: %s", st->dir, strerror(errno));
	return 0;
}

struct state *state_open(const char *dir, int lock_timeout_s, char *errbuf, size_t errlen)
{
	char dummy[1];
	if (!errbuf || errlen == 0) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	if (!dir || !*dir) {
		snprintf(errbuf, errlen, "no state directory given");
		return NULL;
	}
	struct state *st = calloc(1, sizeof(*st));
	if (!st || !(st->dir = strdup(dir))) {
		snprintf(errbuf, errlen, "state directory %s: out of memory", dir);
		free(st);
		return NULL;
	}
	st->lock_fd = -1;
	if (state_mkdirs(dir, STATE_DIR_MODE) != 0) {
		snprintf(errbuf, errlen, "state directory %s: %s", dir, strerror(errno));
		state_close(st);
		return NULL;
	}
	if (state_lock(st, lock_timeout_s, errbuf, errlen) != 0) {
		state_close(st);
		return NULL;
	}
	return st;
}

void state_close(struct state *st)
{
	if (!st)
		return;
	if (st->lock_fd >= 0) {
		/* A stale pid would name the wrong run; clear it while we still hold the lock. Closing releases it. */
		if (st->locked && ftruncate(st->lock_fd, 0) != 0)
			log_debug("state directory %s: cannot clear the lock file", st->dir);
		close(st->lock_fd);
	}
	free(st->dir);
	free(st);
}

const char *state_path(const struct state *st)
{
	return st->dir;
}

/* A relative path of plain names: not absolute, no empty, "." or ".." part, and not our lock file. */
static bool state_relpath_ok(const char *rel)
{
	if (!rel || !*rel || rel[0] == '/' || strcmp(rel, STATE_LOCK_NAME) == 0)
		return false;
	for (const char *p = rel;;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '\0')
			return true;
		p++;
	}
}

/* The file's full path, or NULL with errno set (EINVAL for a refused relpath). */
static char *state_file_path(const struct state *st, const char *relpath)
{
	if (!state_relpath_ok(relpath)) {
		errno = EINVAL;
		return NULL;
	}
	return state_join(st->dir, relpath);
}

static int state_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int state_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Fills the temporary file and moves it over path. Returns 0, or -1 with *what naming the failed step. */
static int state_replace(int fd, const char *tmp, const char *path, const char *parent, const void *data,
			 size_t len, mode_t mode, const char **what)
{
	*what = "chmod";
	if (fchmod(fd, mode) != 0)
		return -1;
	*what = "write";
	if (state_write_all(fd, data, len) != 0)
		return -1;
	*what = "fsync";
	if (fsync(fd) != 0)
		return -1;
	*what = "rename";
	if (rename(tmp, path) != 0)
		return -1;
	*what = "fsync of the folder";
	return state_fsync_dir(parent);
}

int state_write(struct state *st, const char *relpath, const void *data, size_t len, mode_t mode, char *errbuf,
		size_t errlen)
{
	char *path = state_file_path(st, relpath);
	if (!path) {
		snprintf(errbuf, errlen, "state file %s: %s", relpath ? relpath : "(null)",
			 errno == EINVAL ? "refused (must be relative, without . or ..)" : strerror(errno));
		return -1;
	}
	const char *name = strrchr(path, '/') + 1;      /* path is DIR/relpath, so there is a slash */
	char *parent = strndup(path, (size_t)(name - 1 - path));
	size_t n = strlen(path) + sizeof("/..tmp.XXXXXX");
	char *tmp = malloc(n);
	const char *what = "out of memory";
	int fd = -1, rc = -1;
	if (!parent || !tmp)
		goto out;
	snprintf(tmp, n, "%s/.%s.tmp.XXXXXX", parent, name);
	what = "mkdir";
	if (state_mkdirs(parent, STATE_DIR_MODE) != 0)
		goto out;
	what = "temporary file";
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		goto out;
	rc = state_replace(fd, tmp, path, parent, data, len, mode, &what);
out:
	if (rc != 0)
		snprintf(errbuf, errlen, "state file %s: %s: %s", path, what, strerror(errno));
	if (fd >= 0) {
		close(fd);
		if (rc != 0)
			unlink(tmp);
	}
	free(tmp);
	free(parent);
	free(path);
	return rc;
}

/* Reads an open regular file whole into a NUL-terminated buffer. NULL with errno set on failure. */
static char *state_read_fd(int fd, size_t *len)
{
	struct stat sb;
	if (fstat(fd, &sb) != 0)
		return NULL;
	if (!S_ISREG(sb.st_mode) || sb.st_size > STATE_MAX_FILE) {
		errno = S_ISREG(sb.st_mode) ? EFBIG : EINVAL;
		return NULL;
	}
	size_t size = (size_t)sb.st_size, got = 0;
	char *buf = malloc(size + 1);
	if (!buf)
		return NULL;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;          /* shrank under us: what we have is what there is */
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (len)
		*len = got;
	return buf;
}

char *state_read(struct state *st, const char *relpath, size_t *len)
{
	char *path = state_file_path(st, relpath);
	if (!path)
		return NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return NULL;
	char *buf = state_read_fd(fd, len);
	int saved = errno;
	close(fd);
	errno = saved;
	return buf;
}

bool state_exists(struct state *st, const char *relpath)
{
	char *path = state_file_path(st, relpath);
	if (!path)
		return false;
	struct stat sb;
	bool found = stat(path, &sb) == 0;
	free(path);
	return found;
}

int state_remove(struct state *st, const char *relpath)
{
	char *path = state_file_path(st, relpath);
	if (!path)
		return -1;
	int rc = unlink(path);
	int saved = errno;
	free(path);
	if (rc != 0 && saved == ENOENT)
		return 0;
	errno = saved;
	return rc;
}

/* ---- names ---- */

static bool state_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-';
}

/* A copy of s[0..n) with every character outside [A-Za-z0-9.-] (and those in also_ok) turned into '_', and a
 * leading '.' too, so that the result is one plain folder name, never "." or "..". NULL when empty. */
static char *state_sanitize(const char *s, size_t n, const char *also_ok)
{
	if (n == 0)
		return NULL;
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		out[i] = (state_name_char(s[i]) || (s[i] && strchr(also_ok, s[i]))) ? s[i] : '_';
	out[n] = '\0';
	if (out[0] == '.')
		out[0] = '_';
	return out;
}

char *state_ca_name(const char *directory_url)
{
	if (!directory_url)
		return NULL;
	const char *p = strstr(directory_url, "://");
	p = p ? p + 3 : directory_url;
	const char *auth_end = p + strcspn(p, "/?#");
	for (const char *q = p; q < auth_end; q++)      /* drop user:password@ */
		if (*q == '@')
			p = q + 1;
	if (p == auth_end)
		return NULL;
	size_t n = (size_t)(auth_end - p) + strcspn(auth_end, "?#");
	return state_sanitize(p, n, "");
}

char *state_cert_name(const char *first_name)
{
	if (!first_name)
		return NULL;
	/* "*.example.com" -> "_.example.com" like lego; "_" stays so that the result is stable */
	return state_sanitize(first_name, strlen(first_name), "_");
}
