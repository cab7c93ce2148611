/* ari_server: a tiny HTTP/1.1 server that adds ACME Renewal Information (RFC 9773) to a CA that has none.
 *
 *   ari_server PORT DIRECTORY_JSON_FILE WINDOW_START_OFFSET WINDOW_END_OFFSET LOGFILE
 *
 * Listens on 127.0.0.1:PORT only, one connection at a time, each answered with "Connection: close":
 *   GET /dir                -> the JSON object of DIRECTORY_JSON_FILE with
 *                              "renewalInfo": "http://127.0.0.1:PORT/renewalInfo" added as its last member
 *   GET /renewalInfo/<id>   -> {"suggestedWindow": {"start": now+START, "end": now+END}} (RFC 3339, UTC, offsets
 *                              in seconds, may be negative) with Retry-After: 21600
 *   anything else           -> 404 (405 for a method other than GET or HEAD)
 * Each request is appended to LOGFILE as one line "METHOD PATH" (so a renewalInfo request logs its id as
 * "GET /renewalInfo/<id>"). Prints "ready" on stdout once listening. Exits with status 0 on SIGTERM or SIGINT.
 * Plain C and POSIX sockets; a test tool, loopback only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb;
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void respond(int fd, int head_only, int code, const char *reason, const char *ctype, const char *extra,
		    const char *body)
{
	char hdr[512];
	size_t blen = body ? strlen(body) : 0;
	int n = snprintf(hdr, sizeof hdr,
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
			 "%sConnection: close\r\n\r\n",
			 code, reason, ctype, blen, extra ? extra : "");
	if (n < 0 || (size_t)n >= sizeof hdr)
		return;
	if (write_all(fd, hdr, (size_t)n) == 0 && !head_only && blen > 0)
		write_all(fd, body, blen);
}

static void rfc3339(time_t t, char *out, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct ari_args {
	long port, start_off, end_off;
};

/* Reads PORT and the two offsets. Returns 0 or 2 (usage). */
static int parse_args(int argc, char **argv, struct ari_args *a)
{
	char *end;
	if (argc != 6) {
		fprintf(stderr, "usage: %s PORT DIRECTORY_JSON_FILE WINDOW_START_OFFSET WINDOW_END_OFFSET LOGFILE\n",
			argv[0]);
		return 2;
	}
	a->port = strtol(argv[1], &end, 10);
	if (*end || a->port < 1 || a->port > 65535) {
		fprintf(stderr, "ari_server: bad port %s\n", argv[1]);
		return 2;
	}
	a->start_off = strtol(argv[3], &end, 10);
	if (*end) {
		fprintf(stderr, "ari_server: bad offset %s\n", argv[3]);
		return 2;
	}
	a->end_off = strtol(argv[4], &end, 10);
	if (*end) {
		fprintf(stderr, "ari_server: bad offset %s\n", argv[4]);
		return 2;
	}
	return 0;
}

/* The CA's directory with a renewalInfo member pointing here, or NULL. */
static char *directory_with_ari(const char *file, long port)
{
	size_t dir_len, i;
	char *dir = read_file(file, &dir_len);
	if (!dir) {
		fprintf(stderr, "ari_server: cannot read %s: %s\n", file, strerror(errno));
		return NULL;
	}
	/* Insert the renewalInfo member before the object's closing brace. */
	for (i = dir_len; i > 0 && dir[i - 1] != '}'; i--)
		;
	if (i == 0) {
		fprintf(stderr, "ari_server: %s holds no JSON object\n", file);
		free(dir);
		return NULL;
	}
	dir[i - 1] = '\0';
	size_t cap = dir_len + 128;
	char *dir_json = malloc(cap);
	if (dir_json)
		snprintf(dir_json, cap, "%s,\n   \"renewalInfo\": \"http://127.0.0.1:%ld/renewalInfo\"\n}\n", dir, port);
	free(dir);
	return dir_json;
}

static int listen_loopback(long port)
{
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa;
	if (lfd < 0) {
		perror("ari_server: socket");
		return -1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 16) < 0) {
		fprintf(stderr, "ari_server: 127.0.0.1:%ld: %s\n", port, strerror(errno));
		close(lfd);
		return -1;
	}
	return lfd;
}

/* Reads a request head into req (a body, which no GET has, is ignored). */
static void read_head(int fd, char *req, size_t cap)
{
	size_t got = 0;
	while (got < cap - 1) {
		ssize_t r = recv(fd, req + got, cap - 1 - got, 0);
		if (r < 0 && errno == EINTR && !stop)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[got] = '\0';
}

static void serve_one(int fd, const struct ari_args *a, const char *dir_json, FILE *logf)
{
	char req[8192], method[16], path[2048];
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	read_head(fd, req, sizeof req);
	if (sscanf(req, "%15s %2047s", method, path) != 2) {
		respond(fd, 0, 400, "Bad Request", "text/plain", NULL, "bad request\n");
		return;
	}
	fprintf(logf, "%s %s\n", method, path);
	int head_only = strcmp(method, "HEAD") == 0;
	if (strcmp(method, "GET") != 0 && !head_only) {
		respond(fd, 0, 405, "Method Not Allowed", "text/plain", "Allow: GET, HEAD\r\n", "method not allowed\n");
	} else if (strcmp(path, "/dir") == 0) {
		respond(fd, head_only, 200, "OK", "application/json", NULL, dir_json);
	} else if (strncmp(path, "/renewalInfo/", 13) == 0 && path[13] != '\0' && !strchr(path + 13, '/')) {
		char s[32], e[32], body[256];
		time_t now = time(NULL);
		rfc3339(now + a->start_off, s, sizeof s);
		rfc3339(now + a->end_off, e, sizeof e);
		snprintf(body, sizeof body, "{\"suggestedWindow\": {\"start\": \"%s\", \"end\": \"%s\"}}\n", s, e);
		respond(fd, head_only, 200, "OK", "application/json", "Retry-After: 21600\r\n", body);
	} else {
		respond(fd, head_only, 404, "Not Found", "text/plain", NULL, "not found\n");
	}
}

int main(int argc, char **argv)
{
	struct ari_args a;
	struct sigaction act;
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	char *dir_json = directory_with_ari(argv[2], a.port);
	if (!dir_json)
		return 2;
	FILE *logf = fopen(argv[5], "a");
	if (!logf) {
		fprintf(stderr, "ari_server: cannot open %s: %s\n", argv[5], strerror(errno));
		free(dir_json);
		return 2;
	}
	setvbuf(logf, NULL, _IOLBF, 0);
	memset(&act, 0, sizeof act);
	act.sa_handler = on_signal; /* no SA_RESTART: accept() returns EINTR */
	sigemptyset(&act.sa_mask);
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	int lfd = listen_loopback(a.port);
	if (lfd < 0) {
		fclose(logf);
		free(dir_json);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("ari_server: accept");
			break;
		}
		serve_one(fd, &a, dir_json, logf);
		close(fd);
	}
	close(lfd);
	fclose(logf);
	free(dir_json);
	return 0;
}
