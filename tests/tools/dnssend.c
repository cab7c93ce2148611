/* dnssend: sends raw DNS messages written in hex to a server and prints each answer in hex, for the tests. */
/*
 * usage: dnssend [-t | -r] [-w MS] HOST PORT HEX...
 *   (default) UDP: one datagram per HEX; prints one line per HEX: the answer in hex, "timeout", or
 *             "refused" (ICMP port unreachable: nothing listens).
 *   -t        TCP, one connection: every HEX gets its 2-byte length prefix and all are written at once
 *             (pipelined), then one answer is read per HEX; prints one line each: hex, "timeout" or "closed".
 *   -r        TCP, one connection, raw: the HEX arguments are written at once as they are (no prefix), then
 *             length-prefixed answers are read until the server closes or goes silent; prints one line per
 *             answer, then "closed" or "timeout".
 *   -w MS     how long to wait for each answer (default 2000, at most 30000).
 * Spaces, colons and dots inside HEX are ignored. Exit status: 0 when it ran, 2 on a usage or socket error.
 */
#include <errno.h>
#include <signal.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_MSG 65535

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s into out (cap bytes); returns the length or -1 on a bad digit or overflow. */
static long unhex(const char *s, unsigned char *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		if (*s == ' ' || *s == ':' || *s == '.' || *s == '\n' || *s == '\t')
			continue;
		int v = hexval((unsigned char)*s);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (long)n : -1;
}

static void print_hex(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is readable before deadline. Returns 1 readable, 0 timeout. */
static int wait_readable(int fd, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
	}
}

/* Reads exactly n bytes before deadline. Returns 1 done, 0 timeout, -1 closed or error. */
static int read_full(int fd, unsigned char *buf, size_t n, long long deadline)
{
	size_t got = 0;
	while (got < n) {
		if (!wait_readable(fd, deadline))
			return 0;
		ssize_t r = read(fd, buf + got, n - got);
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			return -1;
		if (r > 0)
			got += (size_t)r;
	}
	return 1;
}

static int write_full(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int open_socket(const char *host, const char *port, int type)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = type, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "dnssend: %s port %s: %s\n", host, port, gai_strerror(rc));
		return -1;
	}
	int fd = socket(ai->ai_family, ai->ai_socktype, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "dnssend: connect %s port %s: %s\n", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int run_udp(int fd, char **hex, int n, int wait_ms, unsigned char *buf)
{
	for (int i = 0; i < n; i++) {
		long len = unhex(hex[i], buf, MAX_MSG);
		if (len < 0) {
			fprintf(stderr, "dnssend: bad hex: %s\n", hex[i]);
			return 2;
		}
		if (send(fd, buf, (size_t)len, 0) < 0) {
			printf("error %s\n", strerror(errno));
			continue;
		}
		long long deadline = now_ms() + wait_ms;
		ssize_t r = -1;
		errno = 0;
		while (wait_readable(fd, deadline)) {
			r = recv(fd, buf, MAX_MSG, 0);
			if (r >= 0 || (errno != EINTR && errno != EAGAIN))
				break;
		}
		if (r < 0)
			printf("%s\n", errno == ECONNREFUSED ? "refused" : "timeout");
		else
			print_hex(buf, (size_t)r);
		fflush(stdout);
	}
	return 0;
}

/* Reads one length-prefixed message and prints it; returns 1 printed, 0 timeout, -1 closed. */
static int tcp_read_one(int fd, unsigned char *buf, int wait_ms)
{
	long long deadline = now_ms() + wait_ms;
	unsigned char pre[2];
	int r = read_full(fd, pre, 2, deadline);
	if (r <= 0)
		return r;
	size_t len = (size_t)pre[0] << 8 | pre[1];
	r = read_full(fd, buf, len, deadline);
	if (r <= 0)
		return r;
	print_hex(buf, len);
	return 1;
}

/* Writes every message in one buffer (so the server sees them together), then reads the answers. A failed
 * write (the server hung up) still lets the answers already sent be read. */
static int run_tcp(int fd, char **hex, int n, int wait_ms, int raw, unsigned char *buf)
{
	size_t cap = (size_t)n * (MAX_MSG + 2), used = 0;
	unsigned char *all = malloc(cap);
	if (!all)
		return 2;
	for (int i = 0; i < n; i++) {
		long len = unhex(hex[i], all + used + (raw ? 0 : 2), MAX_MSG);
		if (len < 0) {
			fprintf(stderr, "dnssend: bad hex: %s\n", hex[i]);
			free(all);
			return 2;
		}
		if (!raw) {
			all[used] = (unsigned char)(len >> 8);
			all[used + 1] = (unsigned char)len;
			used += 2;
		}
		used += (size_t)len;
	}
	write_full(fd, all, used);
	free(all);
	int answers = 0;
	for (;;) {
		if (!raw && answers == n)
			break;
		if (raw && answers >= 1000)
			break;
		int r = tcp_read_one(fd, buf, wait_ms);
		if (r <= 0) {
			printf("%s\n", r == 0 ? "timeout" : "closed");
			if (!raw)
				for (int i = answers + 1; i < n; i++)
					printf("%s\n", r == 0 ? "timeout" : "closed");
			break;
		}
		answers++;
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	int tcp = 0, raw = 0, wait_ms = 2000, c;
	while ((c = getopt(argc, argv, "trw:")) != -1) {
		if (c == 't')
			tcp = 1;
		else if (c == 'r')
			tcp = raw = 1;
		else if (c == 'w')
			wait_ms = atoi(optarg);
		else
			goto usage;
	}
	if (argc - optind < 3 || wait_ms <= 0 || wait_ms > 30000)
		goto usage;
	signal(SIGPIPE, SIG_IGN);          /* a server that hangs up must not kill us before we print */
	const char *host = argv[optind], *port = argv[optind + 1];
	int fd = open_socket(host, port, tcp ? SOCK_STREAM : SOCK_DGRAM);
	if (fd < 0)
		return 2;
	static unsigned char buf[MAX_MSG + 2];
	int rc = tcp ? run_tcp(fd, argv + optind + 2, argc - optind - 2, wait_ms, raw, buf)
		     : run_udp(fd, argv + optind + 2, argc - optind - 2, wait_ms, buf);
	close(fd);
	return rc;
usage:
	fprintf(stderr, "usage: dnssend [-t | -r] [-w MS] HOST PORT HEX...\n");
	return 2;
}
