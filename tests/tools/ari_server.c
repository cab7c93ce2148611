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

int main(int argc, char **argv)
{
	char *end, *dir, *dir_json;
	long port, start_off, end_off;
	size_t dir_len, i;
	FILE *logf;
	int lfd, one = 1;
	struct sockaddr_in sa;
	struct sigaction act;

	if (argc != 6) {
		fprintf(stderr, "usage: %s PORT DIRECTORY_JSON_FILE WINDOW_START_OFFSET WINDOW_END_OFFSET LOGFILE\n",
			argv[0]);
		return 2;
	}
	port = strtol(argv[1], &end, 10);
	if (*end || port < 1 || port > 65535) {
		fprintf(stderr, "ari_server: bad port %s\n", argv[1]);
		return 2;
	}
	start_off = strtol(argv[3], &end, 10);
	if (*end) {
		fprintf(stderr, "ari_server: bad offset %s\n", argv[3]);
		return 2;
	}
	end_off = strtol(argv[4], &end, 10);
	if (*end) {
		fprintf(stderr, "ari_server: bad offset %s\n", argv[4]);
		return 2;
	}
	dir = read_file(argv[2], &dir_len);
	if (!dir) {
		fprintf(stderr, "ari_server: cannot read %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	/* Insert the renewalInfo member before the object's closing brace. */
	for (i = dir_len; i > 0 && dir[i - 1] != '}'; i--)
		;
	if (i == 0) {
		fprintf(stderr, "ari_server: %s holds no JSON object\n", argv[2]);
		return 2;
	}
	dir[i - 1] = '\0';
	{
		size_t cap = dir_len + 128;
		dir_json = malloc(cap);
		if (!dir_json)
			return 1;
		snprintf(dir_json, cap, "%s,\n   \"renewalInfo\": \"http://127.0.0.1:%ld/renewalInfo\"\n}\n", dir, port);
	}
	free(dir);

	logf = fopen(argv[5], "a");
	if (!logf) {
		fprintf(stderr, "ari_server: cannot open %s: %s\n", argv[5], strerror(errno));
		return 2;
	}
	setvbuf(logf, NULL, _IOLBF, 0);

	memset(&act, 0, sizeof act);
	act.sa_handler = on_signal; /* no SA_RESTART: accept() returns EINTR */
	sigemptyset(&act.sa_mask);
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0) {
		perror("ari_server: socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 16) < 0) {
		fprintf(stderr, "ari_server: 127.0.0.1:%ld: %s\n", port, strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		char req[8192], method[16], path[2048];
		size_t got = 0;
		struct timeval tv = {5, 0};
		int head_only, fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("ari_server: accept");
			break;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		/* Read the head (a body, which no GET has, is ignored). */
		while (got < sizeof req - 1) {
			ssize_t r = recv(fd, req + got, sizeof req - 1 - got, 0);
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
		if (sscanf(req, "%15s %2047s", method, path) != 2) {
			respond(fd, 0, 400, "Bad Request", "text/plain", NULL, "bad request\n");
			close(fd);
			continue;
		}
		fprintf(logf, "%s %s\n", method, path);
		head_only = strcmp(method, "HEAD") == 0;
		if (strcmp(method, "GET") != 0 && !head_only) {
			respond(fd, 0, 405, "Method Not Allowed", "text/plain", "Allow: GET, HEAD\r\n",
				"method not allowed\n");
		} else if (strcmp(path, "/dir") == 0) {
			respond(fd, head_only, 200, "OK", "application/json", NULL, dir_json);
		} else if (strncmp(path, "/renewalInfo/", 13) == 0 && path[13] != '\0' && !strchr(path + 13, '/')) {
			char s[32], e[32], body[256];
			time_t now = time(NULL);
			rfc3339(now + start_off, s, sizeof s);
			rfc3339(now + end_off, e, sizeof e);
			snprintf(body, sizeof body, "{\"suggestedWindow\": {\"start\": \"%s\", \"end\": \"%s\"}}\n", s, e);
			respond(fd, head_only, 200, "OK", "application/json", "Retry-After: 21600\r\n", body);
		} else {
			respond(fd, head_only, 404, "Not Found", "text/plain", NULL, "not found\n");
		}
		close(fd);
	}
	close(lfd);
	fclose(logf);
	free(dir_json);
	return 0;
}
