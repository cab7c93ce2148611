/* apiload: challenge-value updates through an HTTP API from concurrent clients, and the time until each new
 * value is served over DNS, for bench/api.sh and bench/scale.sh. */
/*
 * usage: apiload -m adns|pdns -a URL -p DNS_PORT -z ZONE -f CREDS [options]
 *   -m adns     acme-dns protocol: POST URL/update, X-Api-User/X-Api-Key, {"subdomain": S, "txt": V} -> 200
 *   -m pdns     PowerDNS API: PATCH URL/api/v1/servers/localhost/zones/ZONE. with X-API-Key (-k), REPLACE of
 *               the TXT RRset at S.ZONE. (TTL 1) holding V -> 204
 *   -f CREDS    one client a line, "USER KEY SUBDOMAIN" (pdns: USER and KEY are ignored, write "- -")
 *   -c N        clients (threads), the first N lines of CREDS (default: every line, at most 256)
 *   -t SECONDS  how long each client updates (default 10, at most 3600)
 *   -n COUNT    at most COUNT measured updates per client (default 100000)
 *   -W COUNT    warm-up updates per client before the clock starts, not counted (default 1: acme-dnsd's first
 *               update of an account pays the bcrypt check, later ones hit its cache of verified keys)
 *   -w MS       how long to look for the value in DNS after the answer before calling it "not served"
 *               (default 1000, at most 60000)
 *   -k KEY      the pdns API key
 *   -v          one line per client on stderr: updates, failures, when the last failure was, how long it ran
 * A client whose update fails (transport error or another status) counts it and goes on at once with a new value,
 * until the time is up (or COUNT failures). last_error_ms tells when the last failure was (-1: none).
 * After each successful answer the client queries UDP 127.0.0.1:DNS_PORT for TXT S.ZONE (no RD, no EDNS) on its
 * own socket, again and again, until an answer holds the new value or -w runs out. Every value is 43 random
 * base64url characters, like a dns-01 digest.
 * Prints one line of "key value" pairs (latencies in microseconds) and exits 0, or 1 when no update succeeded,
 * 2 on a usage error.
 */
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define MAX_CLIENTS 256
#define VALUE_LEN   43
#define FIELD_MAX   128
#define QUERY_WAIT_MS 100       /* resend a query nobody answered after this long */

enum mode { MODE_ADNS, MODE_PDNS };

struct opts {
	enum mode mode;
	const char *url, *zone, *creds, *key;
	int dns_port, clients, seconds, warmup, served_ms, verbose;
	long max_count;
};

struct client {
	const struct opts *o;
	int idx;
	char user[FIELD_MAX], key[FIELD_MAX], sub[FIELD_MAX];
	uint64_t rng;
	long n, errors, not_served, first_query, warm_errors;
	int64_t *http_us, *served_us, warm_max_us;
	pthread_barrier_t *start;
	int64_t t_end, last_error;    /* last_error: when the last failed update ended (0: none) */
	const int64_t *deadline;
	char err[1024];
	int fatal;                    /* no socket or handle: the client never ran */
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: good enough to make values that never repeat within a run */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void new_value(struct client *c, char out[VALUE_LEN + 1])
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	for (int i = 0; i < VALUE_LEN; i++)
		out[i] = a[rng_next(&c->rng) >> 58];
	out[VALUE_LEN] = '\0';
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

/* ---- DNS ---- */

/* Writes a TXT IN query for name (dotted, no trailing dot) into buf; returns its length or -1. */
static int dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name)
{
	size_t n = 12;
	if (cap < 12 + strlen(name) + 2 + 4)
		return -1;
	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[5] = 1;                       /* QDCOUNT */
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || len > 63)
			return -1;
		buf[n++] = (uint8_t)len;
		memcpy(buf + n, p, len);
		n += len;
		p += len + (dot ? 1 : 0);
	}
	buf[n++] = 0;
	buf[n++] = 0, buf[n++] = 16;      /* TXT */
	buf[n++] = 0, buf[n++] = 1;       /* IN */
	return (int)n;
}

/* Skips a possibly compressed name at *pos; -1 when it runs off the message. */
static int skip_name(const uint8_t *m, size_t len, size_t *pos)
{
	size_t p = *pos;
	for (int guard = 0; guard < 128; guard++) {
		if (p >= len)
			return -1;
		uint8_t l = m[p];
		if ((l & 0xC0) == 0xC0) {
			*pos = p + 2;
			return p + 2 <= len ? 0 : -1;
		}
		if (l & 0xC0)
			return -1;
		if (l == 0) {
			*pos = p + 1;
			return 0;
		}
		p += 1 + (size_t)l;
	}
	return -1;
}

/* 1 when the answer with this id holds a TXT record with a character-string equal to val, 0 when it does not,
 * -1 when it is not the answer to our query (other id, malformed). */
static int dns_has_value(const uint8_t *m, size_t len, uint16_t id, const char *val, size_t vlen)
{
	if (len < 12 || m[0] != (uint8_t)(id >> 8) || m[1] != (uint8_t)id || !(m[2] & 0x80))
		return -1;
	unsigned qd = (unsigned)m[4] << 8 | m[5], an = (unsigned)m[6] << 8 | m[7];
	size_t pos = 12;
	for (unsigned i = 0; i < qd; i++) {
		if (skip_name(m, len, &pos) < 0 || pos + 4 > len)
			return -1;
		pos += 4;
	}
	for (unsigned i = 0; i < an; i++) {
		if (skip_name(m, len, &pos) < 0 || pos + 10 > len)
			return -1;
		unsigned type = (unsigned)m[pos] << 8 | m[pos + 1];
		size_t rdlen = (size_t)m[pos + 8] << 8 | m[pos + 9];
		pos += 10;
		if (pos + rdlen > len)
			return -1;
		if (type == 16) {
			for (size_t r = pos; r < pos + rdlen;) {
				size_t sl = m[r];
				if (r + 1 + sl > pos + rdlen)
					return -1;
				if (sl == vlen && memcmp(m + r + 1, val, vlen) == 0)
					return 1;
				r += 1 + sl;
			}
		}
		pos += rdlen;
	}
	return 0;
}

/* Queries until the value is served or the time runs out. Returns the delay in µs from t0 and sets *first when
 * the first query already had it; -1 when not served in time. */
static int64_t wait_served(struct client *c, int fd, const char *fqdn, const char *val, int64_t t0, int *first)
{
	static _Thread_local uint16_t id;
	uint8_t q[512], a[4096];
	int64_t give_up = t0 + (int64_t)c->o->served_ms * 1000000;
	*first = 0;
	for (int tries = 0; now_ns() < give_up; tries++) {
		int qlen = dns_query(q, sizeof(q), ++id, fqdn);
		if (qlen < 0 || send(fd, q, (size_t)qlen, 0) != qlen)
			return -1;
		int64_t resend = now_ns() + (int64_t)QUERY_WAIT_MS * 1000000;
		if (resend > give_up)
			resend = give_up;
		for (;;) {
			int64_t left = resend - now_ns();
			if (left <= 0)
				break;
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int pr = poll(&pfd, 1, (int)((left + 999999) / 1000000));
			if (pr <= 0)
				break;
			ssize_t r = recv(fd, a, sizeof(a), 0);
			if (r < 0)
				break;
			int has = dns_has_value(a, (size_t)r, id, val, VALUE_LEN);
			if (has < 0)
				continue;          /* a late answer to an earlier query */
			if (has == 1) {
				*first = tries == 0;
				return (now_ns() - t0) / 1000;
			}
			break;                     /* answered, old value: ask again at once */
		}
	}
	return -1;
}

/* ---- HTTP ---- */

struct http {
	CURL *h;
	struct curl_slist *hdrs;
	char url[512];
	long want;
};

static int http_setup(struct client *c, struct http *x)
{
	const struct opts *o = c->o;
	char line[FIELD_MAX + 32];
	x->h = curl_easy_init();
	if (!x->h)
		return -1;
	if (o->mode == MODE_ADNS) {
		snprintf(x->url, sizeof(x->url), "%s/update", o->url);
		snprintf(line, sizeof(line), "X-Api-User: %s", c->user);
		x->hdrs = curl_slist_append(x->hdrs, line);
		snprintf(line, sizeof(line), "X-Api-Key: %s", c->key);
		x->hdrs = curl_slist_append(x->hdrs, line);
		x->want = 200;
	} else {
		snprintf(x->url, sizeof(x->url), "%s/api/v1/servers/localhost/zones/%s.", o->url, o->zone);
		snprintf(line, sizeof(line), "X-API-Key: %s", o->key ? o->key : "");
		x->hdrs = curl_slist_append(x->hdrs, line);
		curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, "PATCH");
		x->want = 204;
	}
	x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
	x->hdrs = curl_slist_append(x->hdrs, "Expect:");   /* no 100-continue round trip */
	curl_easy_setopt(x->h, CURLOPT_URL, x->url);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(x->h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(x->h, CURLOPT_PROXY, "");
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, discard);
	return 0;
}

/* One update; returns 0 when the server answered the expected status. */
static int http_update(struct client *c, struct http *x, const char *val)
{
	char body[1024];
	if (c->o->mode == MODE_ADNS)
		snprintf(body, sizeof(body), "{\"subdomain\": \"%s\", \"txt\": \"%s\"}", c->sub, val);
	else
		snprintf(body, sizeof(body), "{\"rrsets\": [{\"name\": \"%s.%s.\", \"type\": \"TXT\", \"ttl\": 1, "
			 "\"changetype\": \"REPLACE\", \"records\": [{\"content\": \"\\\"%s\\\"\", \"disabled\": false}]}]}",
			 c->sub, c->o->zone, val);
	curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	CURLcode rc = curl_easy_perform(x->h);
	long code = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code != x->want) {
		if (!c->err[0])
			snprintf(c->err, sizeof(c->err), "client %d: %s: %s (status %ld)", c->idx, x->url,
				 rc != CURLE_OK ? curl_easy_strerror(rc) : "unexpected status", code);
		return -1;
	}
	return 0;
}

static int udp_open(int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void *client_run(void *arg)
{
	struct client *c = arg;
	const struct opts *o = c->o;
	struct http x = { 0 };
	char val[VALUE_LEN + 1], fqdn[FIELD_MAX + 256];
	int fd = udp_open(o->dns_port), first;
	snprintf(fqdn, sizeof(fqdn), "%s.%s", c->sub, o->zone);
	if (fd < 0 || http_setup(c, &x) < 0) {
		snprintf(c->err, sizeof(c->err), "client %d: no socket or curl handle", c->idx);
		c->fatal = 1;
	}
	/* Warm-up: connection set up, server-side caches filled. */
	for (int i = 0; !c->fatal && i < o->warmup; i++) {
		new_value(c, val);
		int64_t t0 = now_ns();
		if (http_update(c, &x, val) < 0) {
			c->warm_errors++;
			break;
		}
		int64_t us = (now_ns() - t0) / 1000;
		if (us > c->warm_max_us)
			c->warm_max_us = us;
	}
	pthread_barrier_wait(c->start);   /* warm-up done */
	pthread_barrier_wait(c->start);   /* go: *c->deadline is set */
	/* A failed update is counted and the client goes on at once with a new value (the first message is kept). */
	while (!c->fatal && c->errors < o->max_count && c->n < o->max_count && now_ns() < *c->deadline) {
		new_value(c, val);
		int64_t t0 = now_ns();
		if (http_update(c, &x, val) < 0) {
			c->errors++;
			c->last_error = now_ns();
			continue;
		}
		int64_t t1 = now_ns();
		c->http_us[c->n] = (t1 - t0) / 1000;
		int64_t d = wait_served(c, fd, fqdn, val, t1, &first);
		if (d < 0) {
			c->not_served++;
			d = (int64_t)o->served_ms * 1000;   /* counted at the bound in the percentiles */
		}
		c->first_query += first;
		c->served_us[c->n] = d;
		c->n++;
	}
	c->t_end = now_ns();
	if (fd >= 0)
		close(fd);
	curl_slist_free_all(x.hdrs);
	if (x.h)
		curl_easy_cleanup(x.h);
	return NULL;
}

/* ---- results ---- */

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int64_t pct(const int64_t *v, long n, double p)
{
	if (n == 0)
		return -1;
	long i = (long)(p / 100.0 * (double)n + 0.999999) - 1;   /* nearest rank */
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

static int read_creds(struct opts *o, struct client *cl)
{
	FILE *f = fopen(o->creds, "r");
	if (!f) {
		fprintf(stderr, "apiload: cannot open %s: %s\n", o->creds, strerror(errno));
		return -1;
	}
	char line[1024];
	int n = 0;
	while (n < MAX_CLIENTS && (o->clients == 0 || n < o->clients) && fgets(line, sizeof(line), f)) {
		struct client *c = &cl[n];
		if (sscanf(line, "%127s %127s %127s", c->user, c->key, c->sub) != 3)
			continue;
		n++;
	}
	fclose(f);
	if (n == 0 || (o->clients && n < o->clients)) {
		fprintf(stderr, "apiload: %s holds %d usable lines, %d wanted\n", o->creds, n, o->clients);
		return -1;
	}
	o->clients = n;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: apiload -m adns|pdns -a URL -p DNS_PORT -z ZONE -f CREDS [-c N] [-t S] [-n COUNT] "
			"[-W COUNT] [-w MS] [-k PDNS_KEY] [-v]\n");
	exit(2);
}

static long num_arg(const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	struct opts o = { .seconds = 10, .max_count = 100000, .warmup = 1, .served_ms = 1000 };
	const char *mode = NULL;
	int ch;
	while ((ch = getopt(argc, argv, "m:a:p:z:f:c:t:n:W:w:k:v")) != -1) {
		switch (ch) {
		case 'm': mode = optarg; break;
		case 'a': o.url = optarg; break;
		case 'p': o.dns_port = (int)num_arg(optarg, 1, 65535); break;
		case 'z': o.zone = optarg; break;
		case 'f': o.creds = optarg; break;
		case 'c': o.clients = (int)num_arg(optarg, 1, MAX_CLIENTS); break;
		case 't': o.seconds = (int)num_arg(optarg, 1, 3600); break;
		case 'n': o.max_count = num_arg(optarg, 1, 10000000); break;
		case 'W': o.warmup = (int)num_arg(optarg, 0, 1000); break;
		case 'w': o.served_ms = (int)num_arg(optarg, 1, 60000); break;
		case 'k': o.key = optarg; break;
		case 'v': o.verbose = 1; break;
		default: usage();
		}
	}
	if (!mode || !o.url || !o.dns_port || !o.zone || !o.creds || optind != argc)
		usage();
	if (strcmp(mode, "adns") == 0)
		o.mode = MODE_ADNS;
	else if (strcmp(mode, "pdns") == 0)
		o.mode = MODE_PDNS;
	else
		usage();
	if (strlen(o.zone) > 200 || strlen(o.url) > 400)
		usage();

	static struct client cl[MAX_CLIENTS];
	if (read_creds(&o, cl) < 0)
		return 2;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "apiload: curl_global_init failed\n");
		return 2;
	}
	/* Each client's buffers hold every update it could make: max_count, or what 20 µs per update would give. */
	long cap = o.max_count;
	if (cap > (long)o.seconds * 50000)
		cap = (long)o.seconds * 50000;
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, (unsigned)o.clients + 1);
	int64_t deadline = 0;
	pthread_t th[MAX_CLIENTS];
	o.max_count = cap;
	for (int i = 0; i < o.clients; i++) {
		struct client *c = &cl[i];
		c->o = &o;
		c->idx = i;
		c->start = &start;
		c->deadline = &deadline;
		if (getrandom(&c->rng, sizeof(c->rng), 0) != sizeof(c->rng) || c->rng == 0)
			c->rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1) ^ (uint64_t)now_ns();
		c->http_us = calloc((size_t)cap, sizeof(int64_t));
		c->served_us = calloc((size_t)cap, sizeof(int64_t));
		if (!c->http_us || !c->served_us || pthread_create(&th[i], NULL, client_run, c) != 0) {
			fprintf(stderr, "apiload: out of memory or threads\n");
			return 2;
		}
	}
	/* Two barriers: every client has finished its warm-up at the first; the clock starts between them, and the
	 * second publishes the deadline to the clients (a barrier orders memory). */
	pthread_barrier_wait(&start);
	int64_t t_start = now_ns();
	deadline = t_start + (int64_t)o.seconds * 1000000000;
	pthread_barrier_wait(&start);
	int64_t t_end = t_start;
	long total = 0, errors = 0, not_served = 0, first = 0, warm_errors = 0;
	int64_t warm_max = 0, last_error = 0;
	for (int i = 0; i < o.clients; i++) {
		pthread_join(th[i], NULL);
		struct client *c = &cl[i];
		if (c->t_end > t_end)
			t_end = c->t_end;
		total += c->n;
		errors += c->errors;
		not_served += c->not_served;
		first += c->first_query;
		warm_errors += c->warm_errors;
		if (c->last_error > last_error)
			last_error = c->last_error;
		if (c->warm_max_us > warm_max)
			warm_max = c->warm_max_us;
		if (c->err[0])
			fprintf(stderr, "apiload: %s\n", c->err);
		if (o.verbose)
			fprintf(stderr, "apiload: client %d: %ld updates, %ld failed (last at %lld ms), ran %lld ms\n", i, c->n,
				c->errors, (long long)(c->last_error ? (c->last_error - t_start) / 1000000 : -1),
				(long long)((c->t_end - t_start) / 1000000));
	}
	int64_t *http = calloc((size_t)total + 1, sizeof(int64_t)), *served = calloc((size_t)total + 1, sizeof(int64_t));
	if (!http || !served)
		return 2;
	long k = 0;
	for (int i = 0; i < o.clients; i++) {
		memcpy(http + k, cl[i].http_us, (size_t)cl[i].n * sizeof(int64_t));
		memcpy(served + k, cl[i].served_us, (size_t)cl[i].n * sizeof(int64_t));
		k += cl[i].n;
	}
	qsort(http, (size_t)total, sizeof(int64_t), cmp64);
	qsort(served, (size_t)total, sizeof(int64_t), cmp64);
	double secs = (double)(t_end - t_start) / 1e9;
	printf("mode %s clients %d seconds %.2f updates %ld errors %ld rate %.1f http_p50 %lld http_p99 %lld "
	       "http_max %lld served_p50 %lld served_p99 %lld served_max %lld not_served %ld first_query %ld "
	       "warmup_max %lld warmup_errors %ld last_error_ms %lld\n",
	       mode, o.clients, secs, total, errors, secs > 0 ? (double)total / secs : 0.0,
	       (long long)pct(http, total, 50), (long long)pct(http, total, 99), (long long)pct(http, total, 100),
	       (long long)pct(served, total, 50), (long long)pct(served, total, 99), (long long)pct(served, total, 100),
	       not_served, first, (long long)warm_max, warm_errors,
	       (long long)(last_error ? (last_error - t_start) / 1000000 : -1));
	for (int i = 0; i < o.clients; i++) {
		free(cl[i].http_us);
		free(cl[i].served_us);
	}
	free(http);
	free(served);
	pthread_barrier_destroy(&start);
	curl_global_cleanup();
	return total > 0 ? 0 : 1;
}
