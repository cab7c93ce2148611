/* tcphold: opens TCP connections from one address and holds them, for the per-client connection limit tests. */
/*
 * usage: tcphold [-b SRC] [-t SECONDS] HOST PORT N
 *   Opens N connections (1..256) to HOST PORT one after the other, from the address SRC when given. 500 ms after
 *   the last, prints "open=K closed=M": M counts those the server has already closed or reset, or that did not
 *   connect; whatever the server sent is read and ignored. Then holds the open ones, silent, until SECONDS pass
 *   (default 30, at most 600) or it is killed.
 * Exit status: 0 when it ran, 2 on a usage error.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256

static int connect_one(const struct addrinfo *to, const struct addrinfo *from)
{
	int fd = socket(to->ai_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if ((from && bind(fd, from->ai_addr, from->ai_addrlen) < 0) || connect(fd, to->ai_addr, to->ai_addrlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* True when the server has closed or reset fd; what it sent before is read and dropped. */
static int peer_closed(int fd)
{
	char buf[512];
	for (int i = 0; i < 64; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0)
			return 0;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *src = NULL;
	int secs = 30, c;
	while ((c = getopt(argc, argv, "b:t:")) != -1) {
		if (c == 'b')
			src = optarg;
		else if (c == 't')
			secs = atoi(optarg);
		else
			goto usage;
	}
	if (argc - optind != 3 || secs < 1 || secs > 600)
		goto usage;
	int n = atoi(argv[optind + 2]);
	if (n < 1 || n > MAX_CONNS)
		goto usage;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *to = NULL, *from = NULL;
	if (getaddrinfo(argv[optind], argv[optind + 1], &hints, &to) != 0 || (src && getaddrinfo(src, "0", &hints, &from) != 0)) {
		fprintf(stderr, "tcphold: bad address\n");
		return 2;
	}
	int fds[MAX_CONNS];
	for (int i = 0; i < n; i++)
		fds[i] = connect_one(to, from);
	freeaddrinfo(to);
	if (from)
		freeaddrinfo(from);
	struct timespec half = { 0, 500 * 1000 * 1000 };
	nanosleep(&half, NULL);
	int open = 0;
	for (int i = 0; i < n; i++)
		open += fds[i] >= 0 && !peer_closed(fds[i]);
	printf("open=%d closed=%d\n", open, n - open);
	fflush(stdout);
	sleep((unsigned)secs);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
usage:
	fprintf(stderr, "usage: tcphold [-b SRC] [-t SECONDS] HOST PORT N\n");
	return 2;
}
