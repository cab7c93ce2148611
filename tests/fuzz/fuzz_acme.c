/* Fuzz target: every ACME reply the client parses (directory, nonce, account, order, authorization, challenge,
 * problem documents, certificate chain, renewalInfo). The input is the CA's side of a whole conversation: replies
 * separated by a line "=====", each "STATUS TYPE" on its first line (TYPE: j json, p problem+json,
 * c pem-certificate-chain, x text/plain, n none), then its body. A small HTTP server on a loopback thread hands them
 * out in order to whatever the client asks; the client runs account creation, a wildcard + base order and a
 * renewalInfo query against it. libcurl is pointed at that server as its proxy, so whatever URL a reply names, no
 * request leaves the process. When the replies run out the run is cancelled, as by a signal. */
#include "acme.h"
#include "http.h"
#include "key.h"
#include "log.h"
#include "solver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REPLIES 64

struct reply {
	int status;
	const char *ctype;
	const char *body;
	size_t len;
};

static struct {
	pthread_mutex_t mu;
	struct reply r[MAX_REPLIES];
	size_t n, next;
	int port;
	unsigned nonce;
} S = { .mu = PTHREAD_MUTEX_INITIALIZER };

static volatile sig_atomic_t cancel_flag;

/* Splits the input into replies (pointers into data, which outlives the run). */
static void replies_parse(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	S.n = S.next = 0;
	while (p < end && S.n < MAX_REPLIES) {
		const char *sep = memmem(p, (size_t)(end - p), "\n=====\n", 7);
		const char *stop = sep ? sep : end;
		const char *nl = memchr(p, '\n', (size_t)(stop - p));
		struct reply *r = &S.r[S.n++];
		char head[32] = "";
		size_t hl = (size_t)((nl ? nl : stop) - p);
		memcpy(head, p, hl < sizeof(head) - 1 ? hl : sizeof(head) - 1);
		char t = 'j';
		r->status = 200;
		sscanf(head, "%d %c", &r->status, &t);
		if (r->status < 100 || r->status > 599)
			r->status = 200;
		r->ctype = t == 'p' ? "application/problem+json" : t == 'c' ? "application/pem-certificate-chain" :
			   t == 'x' ? "text/plain" : t == 'n' ? NULL : "application/json";
		r->body = nl ? nl + 1 : stop;
		r->len = (size_t)(stop - r->body);
		p = sep ? sep + 7 : end;
	}
}

/* Reads one request (headers, then Content-Length bytes). Returns 0, or -1 when the connection ends. */
static int request_read(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	char *eoh = NULL;
	while (!(eoh = memmem(buf, len, "\r\n\r\n", 4))) {
		if (len == cap)
			return -1;
		ssize_t n = read(fd, buf + len, cap - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	size_t body = 0, have = len - (size_t)(eoh + 4 - buf);
	const char *cl = memmem(buf, (size_t)(eoh - buf), "Content-Length:", 15);
	if (cl)
		body = strtoul(cl + 15, NULL, 10);
	while (have < body) {                   /* the JWS body itself is not looked at */
		char sink[4096];
		ssize_t n = read(fd, sink, body - have < sizeof(sink) ? body - have : sizeof(sink));
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	return 0;
}

static void reply_send(int fd)
{
	pthread_mutex_lock(&S.mu);
	struct reply r = { 503, "application/problem+json", "{\"type\":\"urn:ietf:params:acme:error:serverInternal\"}",
			   51 };
	if (S.next < S.n)
		r = S.r[S.next++];
	else
		cancel_flag = 1;                /* the conversation is over: the client stops waiting */
	unsigned nonce = ++S.nonce;
	pthread_mutex_unlock(&S.mu);
	static __thread char head[512 + (1 << 16)];
	int hl = snprintf(head, 512,
			  "HTTP/1.1 %d X\r\nReplay-Nonce: nonce%u\r\nLocation: http://ca.test/loc/%u\r\n%s%s%s"
			  "Link: <http://ca.test/dir>;rel=\"index\"\r\nContent-Length: %zu\r\n\r\n",
			  r.status, nonce, nonce, r.ctype ? "Content-Type: " : "", r.ctype ? r.ctype : "",
			  r.ctype ? "\r\n" : "", r.len);
	/* One write: a reply split in two waits for the client's delayed ACK (40 ms a request). */
	size_t n = r.len < sizeof(head) - (size_t)hl ? r.len : sizeof(head) - (size_t)hl;
	memcpy(head + hl, r.body, n);
	if (write(fd, head, (size_t)hl + n) != (ssize_t)((size_t)hl + n))
		return;
}

static void *conn_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static __thread char buf[65536];
	while (request_read(fd, buf, sizeof(buf)) == 0)
		reply_send(fd);
	close(fd);
	return NULL;
}

static void *server_thread(void *arg)
{
	int ls = (int)(intptr_t)arg;
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_t t;
		if (pthread_create(&t, NULL, conn_thread, (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	}
	return NULL;
}

static int server_start(void)
{
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof(a);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 16) != 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) != 0)
		abort();
	S.port = ntohs(a.sin_port);
	pthread_t t;
	if (pthread_create(&t, NULL, server_thread, (void *)(intptr_t)ls) != 0)
		abort();
	pthread_detach(t);
	/* Every URL, whatever host a reply names, goes to the server above. */
	char proxy[64];
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", S.port);
	setenv("http_proxy", proxy, 1);
	setenv("HTTPS_PROXY", proxy, 1);
	setenv("ALL_PROXY", proxy, 1);
	unsetenv("NO_PROXY");
	unsetenv("no_proxy");
	return 0;
}

static int fake_present(struct solver *s, const struct solver_record *r, size_t n, char *e, size_t l)
{
	return 0;
}
static const struct solver_ops fake_ops = { "fuzz", fake_present, fake_present, NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *account_key, *cert_key;
	if (!account_key) {
		/* ADNS_FUZZ_VERBOSE=1 shows how far a conversation gets. */
		log_setup(getenv("ADNS_FUZZ_VERBOSE") ? LOG_LVL_DEBUG : (enum log_level)(LOG_LVL_ERROR + 1), 0);
		server_start();
		account_key = key_generate(KEY_EC256);
		cert_key = key_generate(KEY_EC256);
		if (!account_key || !cert_key)
			abort();
	}
	replies_parse(data, size);
	cancel_flag = 0;
	struct http_options ho = { .timeout_s = 5, .max_body = 1 << 20 };
	struct http_client *http = http_client_new(&ho);
	struct acme_options ao = { .directory_url = "http://ca.test/dir", .http = http, .timeout_s = 1,
				   .cancel = &cancel_flag };
	struct acme_error e = { 0 };
	struct acme *a = acme_new(&ao, &e);
	if (a) {
		const char *contacts[] = { "mailto:admin@example.test" };
		struct acme_account_params ap = { .contacts = contacts, .n_contacts = 1, .agree_tos = true };
		char *kid = NULL;
		if (acme_account_new(a, account_key, &ap, &kid, &e) == 0) {
			const char *names[] = { "*.example.test", "example.test" };
			struct solver s = { .ops = &fake_ops };
			struct acme_order_params op = { .names = names, .n_names = 2, .cert_key = cert_key, .solver = &s };
			char *chain = NULL;
			if (acme_order_issue(a, &op, &chain, &e) != 0)
				log_debug("fuzz: order: %s", e.detail);
			else
				log_debug("fuzz: order: certificate of %zu bytes", strlen(chain));
			free(chain);
			time_t start, end;
			long retry;
			acme_renewal_info(a, "aaaa.bbbb", &start, &end, &retry, &e);
		}
		free(kid);
	}
	acme_free(a);
	http_client_free(http);
	return 0;
}
