/* HTTP client against a canned server on loopback: statuses, ACME headers, Link forms, limits, timeouts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SRV_MAX_CONNS 8
#define SRV_BUF       65536
#define SRV_MAX_TICKS 1200          /* 100 ms each: the server gives up after two minutes whatever happens */

struct srv_conn {
	int fd;
	size_t len;
	char buf[SRV_BUF];
};

/* The canned server; "last_*" describe the last request it answered. */
static struct {
	int lfd;
	int port;
	int stop[2];
	pthread_t thread;
	pthread_mutex_t mu;
	int accepted;
	int requests;
	char last_method[16];
	char last_path[256];
	char last_headers[4096];
	char last_body[4096];
	size_t last_body_len;
	struct srv_conn conns[SRV_MAX_CONNS];
} srv;

static char base[64];               /* "http://127.0.0.1:PORT" */

static void send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* An HTTP-date delta seconds from now. */
static void http_date(char *out, size_t n, long delta)
{
	time_t t = time(NULL) + delta;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void send_response(int fd, const char *status, const char *headers, const char *body)
{
	char head[4096];
	snprintf(head, sizeof(head), "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n\r\n", status, headers, strlen(body));
	send_str(fd, head);
	send_str(fd, body);
}

static void answer_big(int fd)
{
	static char body[5001];
	memset(body, 'x', sizeof(body) - 1);
	send_response(fd, "200 OK", "Content-Type: text/plain\r\n", body);
}

static void answer_dates(int fd, const char *path)
{
	char h[256], d[64];
	if (strcmp(path, "/date/future") == 0) {
		http_date(d, sizeof(d), 90);
		snprintf(h, sizeof(h), "Retry-After: %s\r\n", d);
	} else if (strcmp(path, "/date/past") == 0) {
		http_date(d, sizeof(d), -3600);
		snprintf(h, sizeof(h), "Retry-After: %s\r\n", d);
	} else {
		snprintf(h, sizeof(h), "Retry-After: soon\r\n");
	}
	send_response(fd, "503 Service Unavailable", h, "");
}

static const char links_headers[] =
	"Content-Type: Application/PEM-Certificate-Chain ; charset=utf-8\r\n"
	"Location: /acme/order/7\r\n"
	"Replay-Nonce: nonce-AbC_123\r\n"
	"Retry-After: 120\r\n"
	"Link: <https://ca.example/dir>;rel=\"index\"\r\n"
	"Link: </cert/1/alt1>; rel=\"alternate\", <alt2>;REL=Alternate\r\n"
	"link: <http://other.example/a,b>; title=\"x, y; rel=alternate\"; rel=up, <https://ca.example/next>; rel=\"next\"\r\n"
	"LINK: <https://ca.example/nor>, junk; rel=alternate, <https://ca.example/alt3> ; rel = \"alternate\"\r\n";

/* 1xx first: only the final answer's headers may count. */
static void answer_interim(int fd)
{
	send_str(fd, "HTTP/1.1 103 Early Hints\r\nLocation: /early\r\nReplay-Nonce: early\r\n"
		     "Link: </early>; rel=alternate\r\n\r\n");
	send_response(fd, "200 OK", "Replay-Nonce: late\r\n", "done");
}

static void answer_echo(int fd, const char *method)
{
	char body[64];
	snprintf(body, sizeof(body), "%s", method);
	if (strcmp(method, "HEAD") == 0) {
		send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\n");
		return;
	}
	send_response(fd, "200 OK", "Content-Type: text/plain\r\n", body);
}

/* Answers one request; returns 0 to keep the connection, -1 to close it. */
static int answer(int fd, const char *method, const char *path)
{
	if (strcmp(path, "/cert/1") == 0)
		send_response(fd, "201 Created", links_headers, "{\"status\":\"valid\"}");
	else if (strcmp(path, "/big") == 0)
		answer_big(fd);
	else if (strncmp(path, "/date/", 6) == 0)
		answer_dates(fd, path);
	else if (strcmp(path, "/redirect") == 0)
		send_response(fd, "302 Found", "Location: https://elsewhere.example/x\r\n", "");
	else if (strcmp(path, "/interim") == 0)
		answer_interim(fd);
	else if (strcmp(path, "/slow") == 0)
		send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nten bytes.");   /* and never the rest */
	else if (strcmp(path, "/close") == 0) {
		send_str(fd, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
		return -1;
	} else
		answer_echo(fd, method);
	return 0;
}

static size_t content_length(const char *head)
{
	const char *p = strcasestr(head, "\r\nContent-Length:");
	return p ? (size_t)strtoul(p + 17, NULL, 10) : 0;
}

static void record(const struct srv_conn *c, size_t head_len, size_t body_len, char *method, char *path)
{
	sscanf(c->buf, "%15s %255s", method, path);
	pthread_mutex_lock(&srv.mu);
	srv.requests++;
	snprintf(srv.last_method, sizeof(srv.last_method), "%s", method);
	snprintf(srv.last_path, sizeof(srv.last_path), "%s", path);
	snprintf(srv.last_headers, sizeof(srv.last_headers), "%.*s", (int)head_len, c->buf);
	srv.last_body_len = body_len < sizeof(srv.last_body) ? body_len : sizeof(srv.last_body) - 1;
	memcpy(srv.last_body, c->buf + head_len, srv.last_body_len);
	srv.last_body[srv.last_body_len] = '\0';
	pthread_mutex_unlock(&srv.mu);
}

/* Serves every complete request in the buffer; -1 closes the connection. */
static int serve_buffer(struct srv_conn *c)
{
	for (int guard = 0; guard < 16; guard++) {
		c->buf[c->len] = '\0';
		char *end = strstr(c->buf, "\r\n\r\n");
		if (!end)
			return 0;
		size_t head_len = (size_t)(end - c->buf) + 4;
		size_t body_len = content_length(c->buf);
		if (head_len + body_len > c->len)
			return 0;
		char method[16] = "", path[256] = "";
		record(c, head_len, body_len, method, path);
		if (answer(c->fd, method, path) != 0)
			return -1;
		memmove(c->buf, c->buf + head_len + body_len, c->len - head_len - body_len);
		c->len -= head_len + body_len;
	}
	return -1;
}

static void conn_read(struct srv_conn *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, SRV_BUF - 1 - c->len, 0);
	if (n > 0)
		c->len += (size_t)n;
	if (n <= 0 || serve_buffer(c) != 0) {
		close(c->fd);
		c->fd = -1;
		c->len = 0;
	}
}

static void srv_accept(void)
{
	int fd = accept(srv.lfd, NULL, NULL);
	if (fd < 0)
		return;
	for (int i = 0; i < SRV_MAX_CONNS; i++)
		if (srv.conns[i].fd < 0) {
			srv.conns[i].fd = fd;
			srv.conns[i].len = 0;
			pthread_mutex_lock(&srv.mu);
			srv.accepted++;
			pthread_mutex_unlock(&srv.mu);
			return;
		}
	close(fd);
}

static void *srv_main(void *arg)
{
	for (int tick = 0; tick < SRV_MAX_TICKS; tick++) {
		struct pollfd p[SRV_MAX_CONNS + 2] = { { .fd = srv.stop[0], .events = POLLIN },
						       { .fd = srv.lfd, .events = POLLIN } };
		for (int i = 0; i < SRV_MAX_CONNS; i++)
			p[i + 2] = (struct pollfd){ .fd = srv.conns[i].fd, .events = POLLIN };
		if (poll(p, SRV_MAX_CONNS + 2, 100) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN)
			srv_accept();
		for (int i = 0; i < SRV_MAX_CONNS; i++)
			if (srv.conns[i].fd >= 0 && (p[i + 2].revents & (POLLIN | POLLHUP | POLLERR)))
				conn_read(&srv.conns[i]);
	}
	for (int i = 0; i < SRV_MAX_CONNS; i++)
		if (srv.conns[i].fd >= 0)
			close(srv.conns[i].fd);
	return NULL;
}

static int srv_start(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	for (int i = 0; i < SRV_MAX_CONNS; i++)
		srv.conns[i].fd = -1;
	setenv("no_proxy", "*", 1);     /* curl honours proxy variables; this server is on loopback */
	pthread_mutex_init(&srv.mu, NULL);
	srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv.lfd < 0 || bind(srv.lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(srv.lfd, 16) != 0 ||
	    getsockname(srv.lfd, (struct sockaddr *)&sin, &len) != 0 || pipe(srv.stop) != 0)
		return -1;
	srv.port = ntohs(sin.sin_port);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", srv.port);
	return pthread_create(&srv.thread, NULL, srv_main, NULL) == 0 ? 0 : -1;
}

static int srv_stop(void **state)
{
	if (write(srv.stop[1], "x", 1) != 1)
		return -1;
	pthread_join(srv.thread, NULL);
	close(srv.lfd);
	close(srv.stop[0]);
	close(srv.stop[1]);
	pthread_mutex_destroy(&srv.mu);
	return 0;
}

static int srv_count(const int *field)
{
	pthread_mutex_lock(&srv.mu);
	int n = *field;
	pthread_mutex_unlock(&srv.mu);
	return n;
}

static void url_of(char *out, size_t n, const char *path)
{
	snprintf(out, n, "%s%s", base, path);
}

static struct http_client *client(long timeout_s, size_t max_body)
{
	struct http_options opt = { .timeout_s = timeout_s, .max_body = max_body, .user_agent = "test-agent/1" };
	struct http_client *c = http_client_new(&opt);
	assert_non_null(c);
	return c;
}

static int get(struct http_client *c, const char *path, struct http_response *r, char *err, size_t errlen)
{
	char url[256];
	url_of(url, sizeof(url), path);
	return http_request(c, "GET", url, NULL, NULL, 0, NULL, r, err, errlen);
}

static void test_acme_headers(void **state)
{
	struct http_client *c = client(5, 0);
	struct http_response r;
	char err[256] = "", want[256];
	assert_int_equal(get(c, "/cert/1", &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "{\"status\":\"valid\"}");
	assert_int_equal(r.body_len, strlen(r.body));
	assert_string_equal(r.content_type, "application/pem-certificate-chain");
	url_of(want, sizeof(want), "/acme/order/7");
	assert_string_equal(r.location, want);
	assert_string_equal(r.nonce, "nonce-AbC_123");
	assert_int_equal(r.retry_after, 120);
	assert_string_equal(r.link_index, "https://ca.example/dir");
	assert_string_equal(r.link_up, "http://other.example/a,b");
	assert_int_equal(r.n_alternates, 3);
	url_of(want, sizeof(want), "/cert/1/alt1");
	assert_string_equal(r.alternates[0], want);
	url_of(want, sizeof(want), "/cert/alt2");
	assert_string_equal(r.alternates[1], want);
	assert_string_equal(r.alternates[2], "https://ca.example/alt3");
	assert_null(r.alternates[3]);
	http_response_clear(&r);
	assert_null(r.body);
	assert_null(r.nonce);
	assert_int_equal(r.n_alternates, 0);
	http_client_free(c);
}

static void test_absent_headers(void **state)
{
	struct http_client *c = client(5, 0);
	struct http_response r;
	char err[256] = "";
	assert_int_equal(get(c, "/plain", &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "GET");
	assert_string_equal(r.content_type, "text/plain");
	assert_null(r.location);
	assert_null(r.nonce);
	assert_null(r.link_up);
	assert_null(r.link_index);
	assert_int_equal(r.n_alternates, 0);
	assert_int_equal(r.retry_after, -1);
	http_response_clear(&r);
	http_client_free(c);
}

static void test_retry_after_dates(void **state)
{
	struct http_client *c = client(5, 0);
	struct http_response r;
	char err[256] = "";
	assert_int_equal(get(c, "/date/future", &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 503);
	assert_in_range(r.retry_after, 85, 91);
	assert_string_equal(r.body, "");
	assert_int_equal(r.body_len, 0);
	http_response_clear(&r);
	assert_int_equal(get(c, "/date/past", &r, err, sizeof(err)), 0);
	assert_int_equal(r.retry_after, 0);
	http_response_clear(&r);
	assert_int_equal(get(c, "/date/bad", &r, err, sizeof(err)), 0);
	assert_int_equal(r.retry_after, -1);
	http_response_clear(&r);
	http_client_free(c);
}

static void test_no_redirect_follow(void **state)
{
	struct http_client *c = client(5, 0);
	struct http_response r;
	char err[256] = "";
	int before = srv_count(&srv.requests);
	assert_int_equal(get(c, "/redirect", &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 302);
	assert_string_equal(r.location, "https://elsewhere.example/x");
	assert_int_equal(srv_count(&srv.requests), before + 1);
	http_response_clear(&r);
	http_client_free(c);
}

static void test_interim_headers_dropped(void **state)
{
	struct http_client *c = client(5, 0);
	struct http_response r;
	char err[256] = "";
	assert_int_equal(get(c, "/interim", &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.nonce, "late");
	assert_null(r.location);
	assert_int_equal(r.n_alternates, 0);
	assert_string_equal(r.body, "done");
	http_response_clear(&r);
	http_client_free(c);
}

static void test_body_too_large(void **state)
{
	struct http_client *c = client(5, 1024);
	struct http_response r;
	char err[256] = "", url[256];
	url_of(url, sizeof(url), "/big");
	assert_int_equal(http_request(c, "GET", url, NULL, NULL, 0, NULL, &r, err, sizeof(err)), -1);
	assert_null(r.body);
	assert_null(r.content_type);
	char want[300];
	snprintf(want, sizeof(want), "GET %s: response body larger than 1024 bytes", url);
	assert_string_equal(err, want);
	http_client_free(c);
	c = client(5, 5000);            /* exactly the limit is fine */
	assert_int_equal(get(c, "/big", &r, err, sizeof(err)), 0);
	assert_int_equal(r.body_len, 5000);
	assert_int_equal(strlen(r.body), 5000);
	http_response_clear(&r);
	http_client_free(c);
}

static void test_timeout(void **state)
{
	struct http_client *c = client(1, 0);
	struct http_response r;
	char err[256] = "", url[256];
	const char *hdrs[] = { "Authorization: Bearer SECRET-TOKEN", NULL };
	url_of(url, sizeof(url), "/slow");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(http_request(c, "GET", url, NULL, NULL, 0, hdrs, &r, err, sizeof(err)), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs >= 0.9 && secs < 5);
	char prefix[300];
	snprintf(prefix, sizeof(prefix), "GET %s: ", url);
	assert_memory_equal(err, prefix, strlen(prefix));
	assert_non_null(strcasestr(err, "timeout") ? err : strcasestr(err, "timed out"));
	assert_null(strstr(err, "SECRET"));
	assert_null(r.body);
	/* the handle is fine afterwards */
	assert_int_equal(get(c, "/after-timeout", &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 200);
	http_response_clear(&r);
	http_client_free(c);
}

static void test_methods_and_request(void **state)
{
	struct http_client *c = client(5, 0);
	struct http_response r;
	char err[256] = "", url[256];
	const char *hdrs[] = { "X-Api-User: alice", "X-Api-Key: k", NULL };
	const char body[] = "{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"x\"}";
	url_of(url, sizeof(url), "/new-order");
	assert_int_equal(http_request(c, "POST", url, "application/jose+json", body, strlen(body), hdrs, &r, err,
				      sizeof(err)), 0);
	assert_string_equal(r.body, "POST");
	http_response_clear(&r);
	pthread_mutex_lock(&srv.mu);
	assert_string_equal(srv.last_method, "POST");
	assert_string_equal(srv.last_path, "/new-order");
	assert_string_equal(srv.last_body, body);
	assert_non_null(strstr(srv.last_headers, "\r\nContent-Type: application/jose+json\r\n"));
	assert_non_null(strstr(srv.last_headers, "\r\nUser-Agent: test-agent/1\r\n"));
	assert_non_null(strstr(srv.last_headers, "\r\nX-Api-User: alice\r\n"));
	pthread_mutex_unlock(&srv.mu);
	static char big[3001];          /* more than one small write */
	memset(big, 'b', sizeof(big) - 1);
	assert_int_equal(http_request(c, "POST", url, "application/jose+json", big, 3000, NULL, &r, err, sizeof(err)), 0);
	http_response_clear(&r);
	pthread_mutex_lock(&srv.mu);
	assert_int_equal(srv.last_body_len, 3000);
	assert_memory_equal(srv.last_body, big, 3000);
	pthread_mutex_unlock(&srv.mu);
	const char *methods[] = { "PUT", "PATCH", "DELETE" };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(http_request(c, methods[i], url, "application/json", "{}", 2, NULL, &r, err,
					      sizeof(err)), 0);
		assert_string_equal(r.body, methods[i]);
		http_response_clear(&r);
		pthread_mutex_lock(&srv.mu);
		assert_string_equal(srv.last_body, "{}");
		pthread_mutex_unlock(&srv.mu);
	}
	assert_int_equal(http_request(c, "DELETE", url, NULL, NULL, 0, NULL, &r, err, sizeof(err)), 0);
	assert_string_equal(r.body, "DELETE");
	http_response_clear(&r);
	http_client_free(c);
}

static void test_head_and_empty_post(void **state)
{
	struct http_client *c = client(5, 0);
	struct http_response r;
	char err[256] = "", url[256];
	url_of(url, sizeof(url), "/new-nonce");
	assert_int_equal(http_request(c, "HEAD", url, NULL, NULL, 0, NULL, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(r.body);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(r.content_type, "text/plain");
	http_response_clear(&r);
	pthread_mutex_lock(&srv.mu);
	assert_string_equal(srv.last_method, "HEAD");
	pthread_mutex_unlock(&srv.mu);
	/* POST-as-GET: a POST with an empty body; then a GET on the same handle must be a GET again */
	assert_int_equal(http_request(c, "POST", url, "application/jose+json", NULL, 0, NULL, &r, err, sizeof(err)),
			 0);
	assert_string_equal(r.body, "POST");
	http_response_clear(&r);
	assert_int_equal(get(c, "/again", &r, err, sizeof(err)), 0);
	assert_string_equal(r.body, "GET");
	http_response_clear(&r);
	pthread_mutex_lock(&srv.mu);
	assert_null(strstr(srv.last_headers, "Content-Type"));
	assert_int_equal(srv.last_body_len, 0);
	pthread_mutex_unlock(&srv.mu);
	http_client_free(c);
}

static void test_keep_alive(void **state)
{
	struct http_client *c = client(5, 0);
	struct http_response r;
	char err[256] = "";
	int before = srv_count(&srv.accepted);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(get(c, i % 2 ? "/cert/1" : "/plain", &r, err, sizeof(err)), 0);
		http_response_clear(&r);
	}
	assert_int_equal(srv_count(&srv.accepted), before + 1);
	assert_int_equal(get(c, "/close", &r, err, sizeof(err)), 0);    /* the server ends this connection */
	assert_int_equal(r.status, 204);
	http_response_clear(&r);
	assert_int_equal(get(c, "/plain", &r, err, sizeof(err)), 0);
	http_response_clear(&r);
	assert_int_equal(srv_count(&srv.accepted), before + 2);
	http_client_free(c);
}

static void test_resolve_pin(void **state)
{
	char pin[64], url[128];
	snprintf(pin, sizeof(pin), "acme.test:%d:127.0.0.1", srv.port);
	snprintf(url, sizeof(url), "http://acme.test:%d/cert/1", srv.port);
	struct http_options opt = { .resolve = pin };
	struct http_client *c = http_client_new(&opt);
	assert_non_null(c);
	struct http_response r;
	char err[256] = "", want[160];
	assert_int_equal(http_request(c, "GET", url, NULL, NULL, 0, NULL, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 201);
	snprintf(want, sizeof(want), "http://acme.test:%d/acme/order/7", srv.port);
	assert_string_equal(r.location, want);
	pthread_mutex_lock(&srv.mu);
	assert_non_null(strstr(srv.last_headers, "\r\nUser-Agent: acme-dns-cli/"));
	pthread_mutex_unlock(&srv.mu);
	http_response_clear(&r);
	http_client_free(c);
}

/* A port nobody listens on: bind one, read its number, close it. */
static int closed_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static void test_transport_errors(void **state)
{
	struct http_client *c = client(5, 0);
	struct http_response r;
	char err[256] = "", url[128], prefix[160];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/dir", closed_port());
	assert_int_equal(http_request(c, "GET", url, NULL, NULL, 0, NULL, &r, err, sizeof(err)), -1);
	snprintf(prefix, sizeof(prefix), "GET %s: ", url);
	assert_memory_equal(err, prefix, strlen(prefix));
	assert_true(strlen(err) > strlen(prefix));
	assert_int_equal(http_request(c, "GET", "file:///etc/passwd", NULL, NULL, 0, NULL, &r, err, sizeof(err)), -1);
	assert_memory_equal(err, "GET file:///etc/passwd: ", 24);
	const char *bad[] = { "X-Evil: a\r\nInjected: b", NULL };
	assert_int_equal(get(c, "/plain", &r, err, sizeof(err)), 0);
	http_response_clear(&r);
	url_of(url, sizeof(url), "/plain");
	assert_int_equal(http_request(c, "GET", url, NULL, NULL, 0, bad, &r, err, sizeof(err)), -1);
	assert_null(strstr(err, "Injected"));
	assert_int_equal(http_request(c, "GE T", url, NULL, NULL, 0, NULL, &r, err, sizeof(err)), -1);
	http_response_clear(NULL);
	http_client_free(NULL);
	http_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acme_headers),
		cmocka_unit_test(test_absent_headers),
		cmocka_unit_test(test_retry_after_dates),
		cmocka_unit_test(test_no_redirect_follow),
		cmocka_unit_test(test_interim_headers_dropped),
		cmocka_unit_test(test_body_too_large),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_methods_and_request),
		cmocka_unit_test(test_head_and_empty_post),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_resolve_pin),
		cmocka_unit_test(test_transport_errors),
	};
	return cmocka_run_group_tests(tests, srv_start, srv_stop);
}
