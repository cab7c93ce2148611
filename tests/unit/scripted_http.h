/* A scripted HTTP server for the unit tests of the HTTP API adapters (test_cloudflare.c, test_digitalocean.c,
 * test_hetzner.c, test_httpreq.c): a forked child on a loopback port answers the canned responses in order, one per
 * connection, and logs each request whole ("REQUEST LINE\nHEADERS\n\nBODY\n==\n") for the test to read back.
 * Included by one test file each (static functions only). */
#ifndef ADNS_TEST_SCRIPTED_HTTP_H
#define ADNS_TEST_SCRIPTED_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct scripted {
	pid_t pid;
	int port;
	char log[256];
	char url[64];                   /* "http://127.0.0.1:PORT" */
} SH;

/* Reads one request from c and appends it to log. */
static inline int sh_take(int c, FILE *log)
{
	static char buf[65536];
	size_t len = 0, need = 0;
	char *end = NULL;

	while (len < sizeof buf - 1) {
		ssize_t n = read(c, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			char *cl = strcasestr(buf, "\r\nContent-Length:");
			need = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end && len >= need)
			break;
	}
	if (!end)
		return -1;
	for (char *p = buf; p < end; p++)
		if (*p != '\r')
			fputc(*p, log);
	fprintf(log, "\n\n%s\n==\n", end + 4);
	fflush(log);
	return 0;
}

/* Starts the server: it answers the n responses ("STATUS\r\nEXTRA-HEADERS|BODY"), one per connection, then exits. */
static inline void sh_start(const char *name, const char *const *responses, size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(SH.log, sizeof SH.log, "/tmp/%s.%ld.log", name, (long)getpid());
	unlink(SH.log);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(l, 8), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	SH.port = ntohs(a.sin_port);
	snprintf(SH.url, sizeof SH.url, "http://127.0.0.1:%d", SH.port);
	SH.pid = fork();
	assert_true(SH.pid >= 0);
	if (SH.pid == 0) {
		FILE *log = fopen(SH.log, "w");
		alarm(30);
		for (size_t i = 0; log && i < n; i++) {
			int c = accept(l, NULL, NULL);
			const char *bar = strchr(responses[i], '|');
			char head[1024];
			if (c < 0 || sh_take(c, log) != 0)
				_exit(1);
			int hl = snprintf(head, sizeof head, "HTTP/1.1 %.*s\r\nContent-Type: application/json\r\n"
					  "Content-Length: %zu\r\nConnection: close\r\n\r\n", (int)(bar - responses[i]),
					  responses[i], strlen(bar + 1));
			if (write(c, head, (size_t)hl) != hl || write(c, bar + 1, strlen(bar + 1)) < 0)
				_exit(1);
			close(c);
		}
		_exit(0);
	}
	close(l);
}

/* Waits for the server to have answered everything; returns its log (malloc'd). Fails the test when it did not
 * get every request it expected. */
static inline char *sh_finish(void)
{
	int st = -1;
	char *text = NULL;
	size_t cap = 0;
	FILE *f;

	for (int i = 0; i < 50 && waitpid(SH.pid, &st, WNOHANG) == 0; i++)
		usleep(100 * 1000);
	if (st == -1) {
		kill(SH.pid, SIGKILL);
		waitpid(SH.pid, &st, 0);
		st = -1;
	}
	f = fopen(SH.log, "r");
	if (f) {
		if (getdelim(&text, &cap, '\0', f) < 0) {
			free(text);
			text = NULL;
		}
		fclose(f);
	}
	unlink(SH.log);
	if (!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0))
		fail_msg("the scripted server did not get every request it expected; it saw:\n%s", text ? text : "");
	return text ? text : strdup("");
}

/* How many times needle occurs in hay. */
static inline size_t sh_count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The i-th request (0-based) of a log, in a static buffer. */
static inline const char *sh_request(const char *log, size_t i)
{
	static char one[8192];
	const char *p = log;

	for (size_t k = 0; k < i && p; k++)
		if ((p = strstr(p, "\n==\n")))
			p += 4;
	if (!p || !*p)
		return "";
	const char *end = strstr(p, "\n==\n");
	snprintf(one, sizeof one, "%.*s", (int)(end ? (size_t)(end - p) : strlen(p)), p);
	return one;
}

static inline double sh_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define assert_has(hay, needle)                                                                                \
	do {                                                                                                   \
		if (!strstr((hay), (needle)))                                                                  \
			fail_msg("expected \"%s\" in:\n%s", (needle), (hay));                                  \
	} while (0)

#endif
