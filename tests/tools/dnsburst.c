/* dnsburst: sends one DNS query many times over UDP as fast as it can and sorts the answers, for the rate limit tests. */
/*
 * usage: dnsburst [-b SRC] [-n COUNT] [-c CHUNK] [-w MS] HOST PORT HEX
 *   Sends COUNT copies (default 200, at most 10000) of the message HEX from one UDP socket (bound to the address
 *   SRC when given), the copy i with the ID i. CHUNK copies go out back to back (default: all of them); then
 *   answers are read until that chunk is answered or MS ms (default 500, at most 10000) pass without one.
 *   Prints one line:  sent=N full=F tc=T tc_bad=B other=O dropped=D ms=E
 *     full    answers without TC
 *     tc      answers with TC, the question (QDCOUNT 1) and no records
 *     tc_bad  other answers with TC (records, or no question)
 *     other   answers with an ID never sent or already answered
 *     dropped copies without an answer
 *     ms      from the first copy sent to the last answer received
 * Exit status: 0 when it ran, 2 on a usage or socket error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT 10000
#define MAX_MSG   4096

struct tally {
	unsigned full, tc, tc_bad, other, answered;
	long long first_sent, last_answer;
	unsigned char seen[MAX_COUNT];
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* A UDP socket bound to src (when not NULL) and connected to host:port. Returns the fd or -1. */
static int open_socket(const char *src, const char *host, const char *port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL, *bi = NULL;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || (src && getaddrinfo(src, "0", &hints, &bi) != 0)) {
		fprintf(stderr, "dnsburst: bad address %s / %s port %s\n", src ? src : "-", host, port);
		if (ai)
			freeaddrinfo(ai);
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	int rcvbuf = 1 << 20;   /* room for every answer, so none is lost on our side */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
	    (bi && bind(fd, bi->ai_addr, bi->ai_addrlen) < 0) || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "dnsburst: socket: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (bi)
		freeaddrinfo(bi);
	return fd;
}

static void classify(struct tally *t, const unsigned char *a, ssize_t len, unsigned count)
{
	if (len < 12) {
		t->other++;
		return;
	}
	unsigned id = (unsigned)a[0] << 8 | a[1];
	if (id >= count || t->seen[id]) {
		t->other++;
		return;
	}
	t->seen[id] = 1;
	t->answered++;
	t->last_answer = now_ms();
	unsigned qd = (unsigned)a[4] << 8 | a[5];
	unsigned records = ((unsigned)a[6] << 8 | a[7]) + ((unsigned)a[8] << 8 | a[9]) + ((unsigned)a[10] << 8 | a[11]);
	if (!(a[2] & 0x02))
		t->full++;
	else if (records == 0 && qd == 1)
		t->tc++;
	else
		t->tc_bad++;
}

/* Reads answers until `want` of the copies sent so far are answered or wait_ms pass without an answer. */
static void collect(int fd, struct tally *t, unsigned want, unsigned count, int wait_ms)
{
	unsigned char buf[MAX_MSG];
	while (t->answered < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, wait_ms);
		if (r == 0)
			return;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n >= 0)
			classify(t, buf, n, count);
		else if (errno != EAGAIN && errno != EINTR)
			return;   /* e.g. ECONNREFUSED: nobody listens */
	}
}

int main(int argc, char **argv)
{
	const char *src = NULL;
	int count = 200, chunk = 0, wait_ms = 500, c;
	while ((c = getopt(argc, argv, "b:n:c:w:")) != -1) {
		if (c == 'b')
			src = optarg;
		else if (c == 'n')
			count = atoi(optarg);
		else if (c == 'c')
			chunk = atoi(optarg);
		else if (c == 'w')
			wait_ms = atoi(optarg);
		else
			goto usage;
	}
	if (argc - optind != 3 || count < 1 || count > MAX_COUNT || chunk < 0 || wait_ms < 1 || wait_ms > 10000)
		goto usage;
	if (chunk == 0 || chunk > count)
		chunk = count;
	static unsigned char msg[MAX_MSG];
	long len = unhex(argv[optind + 2], msg, sizeof(msg));
	if (len < 12) {
		fprintf(stderr, "dnsburst: the message must be at least a 12-byte header in hex\n");
		return 2;
	}
	int fd = open_socket(src, argv[optind], argv[optind + 1]);
	if (fd < 0)
		return 2;
	static struct tally t;
	t.first_sent = t.last_answer = now_ms();
	for (int i = 0; i < count;) {
		for (int k = 0; k < chunk && i < count; k++, i++) {
			msg[0] = (unsigned char)(i >> 8);
			msg[1] = (unsigned char)i;
			if (send(fd, msg, (size_t)len, 0) < 0)
				fprintf(stderr, "dnsburst: send: %s\n", strerror(errno));
		}
		collect(fd, &t, (unsigned)i, (unsigned)count, wait_ms);
	}
	close(fd);
	printf("sent=%d full=%u tc=%u tc_bad=%u other=%u dropped=%u ms=%lld\n", count, t.full, t.tc, t.tc_bad, t.other,
	       (unsigned)count - t.answered, t.last_answer - t.first_sent);
	return 0;
usage:
	fprintf(stderr, "usage: dnsburst [-b SRC] [-n COUNT] [-c CHUNK] [-w MS] HOST PORT HEX\n");
	return 2;
}
