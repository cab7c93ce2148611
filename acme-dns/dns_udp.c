/* UDP: one worker per core and address, each on its own SO_REUSEPORT socket, answering in batches, each with its
 * own response rate limiter. */
#include "dns.h"

#include "log.h"
#include "netaddr.h"
#include "rrl.h"

#include <urcu.h>

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH     32
#define UDP_BUF   4096

struct udp_worker {
	pthread_t thread;
	int fd;
	struct dns_udp *owner;
	struct rrl *rrl;          /* this worker's own limiter (no lock on the query path); NULL = dns.rrl off */
	char name[48];            /* for the log: "worker 3 on 127.0.0.1:53" */
	bool started;
};

struct dns_udp {
	struct udp_worker *w;
	size_t n;
	struct dns_source *src;
	atomic_bool stop;
};

void dns_source_env(struct dns_source *src, struct answer_env *env)
{
	const struct config *cfg = src->cfg;
	env->db = rcu_dereference(src->db);
	env->txt = src->txt;
	env->names = src->names;
	env->challenge_ttl = cfg->challenge_ttl;
	env->max_value_age = cfg->max_value_age;
	env->now = (int64_t)time(NULL);
	env->edns_max_payload = cfg->edns_max_payload;
}

size_t dns_source_answer(struct dns_source *src, const struct answer_env *env, const uint8_t *msg, size_t len,
			 uint8_t *out, size_t outcap, bool tcp, const struct sockaddr *peer)
{
	if (!update_is_update(msg, len))
		return answer_query(env, msg, len, out, outcap, tcp);
	char client[INET6_ADDRSTRLEN] = "?";
	if (peer)
		netaddr_format_ip(peer, client, sizeof(client));
	struct update_env uenv = { .cfg = src->cfg, .db = env->db, .accounts = src->txt, .names = src->names,
				   .store = src->store, .write_lock = src->write_lock, .now = (int64_t)time(NULL),
				   .client = client };
	return update_handle(&uenv, msg, len, out, outcap);
}

static int udp_socket(const struct config_listen *l, char *errbuf, size_t errlen)
{
	int fd = socket(l->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int one = 1;
	struct timeval tv = { 0, 200 * 1000 };     /* wake up to notice a stop request */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    (l->addr.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) < 0) {
		snprintf(errbuf, errlen, "dns udp %s: %s", l->text, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static size_t worker_count(const struct config *cfg)
{
	if (cfg->udp_workers)
		return cfg->udp_workers;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : (size_t)n;
}

/* Gives the worker its response rate limiter, hashed with a seed of its own. Returns 0 or -1 with errbuf set. */
static int worker_rrl(struct udp_worker *w, const struct config *cfg, char *errbuf, size_t errlen)
{
	uint64_t seed;
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		snprintf(errbuf, errlen, "dns udp: no randomness for the rate limiter: %s", strerror(errno));
		return -1;
	}
	if (!(w->rrl = rrl_new(cfg, seed))) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	return 0;
}

struct dns_udp *dns_udp_bind(const struct config *cfg, char *errbuf, size_t errlen)
{
	size_t per = worker_count(cfg), total = 0;
	for (size_t i = 0; i < cfg->n_dns_listen; i++)
		total += cfg->dns_listen[i].udp ? per : 0;
	struct dns_udp *u = calloc(1, sizeof(*u));
	if (!u || !(u->w = calloc(total ? total : 1, sizeof(*u->w)))) {
		free(u);
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_dns_listen; i++) {
		if (!cfg->dns_listen[i].udp)
			continue;
		for (size_t k = 0; k < per; k++) {
			int fd = udp_socket(&cfg->dns_listen[i], errbuf, errlen);
			if (fd < 0) {
				dns_udp_stop(u);
				return NULL;
			}
			struct udp_worker *w = &u->w[u->n++];
			w->fd = fd;
			w->owner = u;
			snprintf(w->name, sizeof(w->name), "worker %zu on %s", k, cfg->dns_listen[i].text);
			if (cfg->rrl_rate && worker_rrl(w, cfg, errbuf, errlen) < 0) {
				dns_udp_stop(u);
				return NULL;
			}
		}
	}
	return u;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Applies the response rate limit to the answer out[0..len) built for query: returns the length to send, 0 for
 * none. UPDATE answers are never limited: they go to clients holding a TSIG key, and a dropped one would leave
 * the client guessing whether its change was made. */
static size_t udp_limit(struct rrl *rrl, const uint8_t *query, size_t qlen, const struct sockaddr *peer,
			int64_t now_ms, uint8_t *out, size_t len)
{
	if (!rrl || update_is_update(query, qlen))
		return len;
	switch (rrl_check(rrl, peer, now_ms)) {
	case RRL_SEND:
		return len;
	case RRL_SLIP:
		return rrl_truncate(out, len);
	case RRL_DROP:
		break;
	}
	return 0;
}

/* Answers a batch in place of the receive buffers' companions; returns how many answers to send. */
static unsigned udp_answer_batch(struct dns_source *src, struct rrl *rrl, struct mmsghdr *in, unsigned n,
				 struct mmsghdr *out, struct iovec *oiov, uint8_t (*obuf)[UDP_BUF])
{
	struct answer_env env;
	unsigned k = 0;
	int64_t now_ms = rrl ? monotonic_ms() : 0;
	rcu_read_lock();
	dns_source_env(src, &env);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *query = in[i].msg_hdr.msg_iov->iov_base;
		size_t len = dns_source_answer(src, &env, query, in[i].msg_len, obuf[k], UDP_BUF, false,
					       in[i].msg_hdr.msg_name);
		len = len ? udp_limit(rrl, query, in[i].msg_len, in[i].msg_hdr.msg_name, now_ms, obuf[k], len) : 0;
		if (len == 0)
			continue;
		oiov[k].iov_base = obuf[k];
		oiov[k].iov_len = len;
		memset(&out[k], 0, sizeof(out[k]));
		out[k].msg_hdr.msg_name = in[i].msg_hdr.msg_name;
		out[k].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
		out[k].msg_hdr.msg_iov = &oiov[k];
		out[k].msg_hdr.msg_iovlen = 1;
		k++;
	}
	rcu_read_unlock();
	return k;
}

struct udp_bufs {
	uint8_t ibuf[BATCH][UDP_BUF];
	uint8_t obuf[BATCH][UDP_BUF];
	struct sockaddr_storage peers[BATCH];
	struct iovec iiov[BATCH], oiov[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];
};

static void udp_prepare(struct udp_bufs *b)
{
	for (int i = 0; i < BATCH; i++) {
		b->iiov[i].iov_base = b->ibuf[i];
		b->iiov[i].iov_len = UDP_BUF;
		memset(&b->in[i], 0, sizeof(b->in[i]));
		b->in[i].msg_hdr.msg_name = &b->peers[i];
		b->in[i].msg_hdr.msg_namelen = sizeof(b->peers[i]);
		b->in[i].msg_hdr.msg_iov = &b->iiov[i];
		b->in[i].msg_hdr.msg_iovlen = 1;
	}
}

static void *udp_worker_main(void *arg)
{
	struct udp_worker *w = arg;
	struct dns_udp *u = w->owner;
	struct udp_bufs *b = malloc(sizeof(*b));   /* per-worker buffers, allocated once */
	if (!b)
		return NULL;
	rcu_register_thread();
	while (!atomic_load(&u->stop)) {
		udp_prepare(b);
		int n = recvmmsg(w->fd, b->in, BATCH, MSG_WAITFORONE, NULL);
		if (w->rrl)
			rrl_report(w->rrl, monotonic_ms(), w->name);   /* also on the idle wake-ups, so a summary is never held back */
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK)
				log_warn("dns udp: recvmmsg: %s", strerror(errno));
			continue;
		}
		unsigned k = udp_answer_batch(u->src, w->rrl, b->in, (unsigned)n, b->out, b->oiov, b->obuf);
		for (unsigned sent = 0; sent < k;) {
			int s = sendmmsg(w->fd, b->out + sent, k - sent, 0);
			if (s <= 0) {
				sent++;               /* skip the answer that could not be sent */
				continue;
			}
			sent += (unsigned)s;
		}
	}
	if (w->rrl)
		rrl_report(w->rrl, INT64_MAX, w->name);   /* at the end the 10 s wait is over: say what is left */
	rcu_unregister_thread();
	free(b);
	return NULL;
}

int dns_udp_start(struct dns_udp *u, struct dns_source *src)
{
	u->src = src;
	for (size_t i = 0; i < u->n; i++) {
		if (pthread_create(&u->w[i].thread, NULL, udp_worker_main, &u->w[i]) != 0) {
			log_error("dns udp: cannot start a worker thread");
			return -1;
		}
		u->w[i].started = true;
	}
	return 0;
}

void dns_udp_stop(struct dns_udp *u)
{
	if (!u)
		return;
	atomic_store(&u->stop, true);
	for (size_t i = 0; i < u->n; i++) {
		if (u->w[i].started)
			pthread_join(u->w[i].thread, NULL);
		close(u->w[i].fd);
		rrl_free(u->w[i].rrl);
	}
	free(u->w);
	free(u);
}
