/* DNS over TCP (RFC 7766): length-prefixed messages, several per connection, idle timeout, a limit of open
 * connections per client address, on one libevent thread. */
#include "dns.h"

#include "connlimit.h"
#include "log.h"
#include "netaddr.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <urcu.h>

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct dns_tcp {
	struct event_base *base;
	struct evconnlistener *listeners[CONFIG_MAX_LISTEN];
	size_t n;
	pthread_t thread;
	bool started;
	struct dns_source *src;
	struct tcp_conn *conns;       /* open connections, freed at stop */
	struct connlimit *per_client; /* open connections per client address; NULL = no limit */
	unsigned long refused;        /* connections refused by it since the last log line */
	time_t refused_logged;
	uint8_t out[2 + ANSWER_TCP_MAX];
	uint8_t in[ANSWER_TCP_MAX];
};

struct tcp_conn {
	struct dns_tcp *t;
	struct sockaddr_storage peer;
	unsigned queries;
	bool closing;                 /* close once the output is flushed */
	struct bufferevent *bev;
	struct tcp_conn *prev, *next;
};

static void conn_free(struct bufferevent *bev, struct tcp_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	connlimit_release(c->t->per_client, (const struct sockaddr *)&c->peer);
	bufferevent_free(bev);
	free(c);
}

/* Answers every complete message waiting in the input buffer. */
static void tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct dns_tcp *t = c->t;
	struct evbuffer *in = bufferevent_get_input(bev);
	while (!c->closing && evbuffer_get_length(in) >= 2) {
		uint8_t lb[2];
		evbuffer_copyout(in, lb, 2);
		size_t len = (size_t)lb[0] << 8 | lb[1];
		if (evbuffer_get_length(in) < 2 + len)
			break;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, t->in, len);
		struct answer_env env;
		rcu_read_lock();
		dns_source_env(t->src, &env);
		size_t alen = dns_source_answer(t->src, &env, t->in, len, t->out + 2, ANSWER_TCP_MAX, true,
						(const struct sockaddr *)&c->peer);
		rcu_read_unlock();
		if (alen == 0 || len == 0) {
			c->closing = true;    /* a response or garbage: nothing to answer, hang up */
			break;
		}
		t->out[0] = (uint8_t)(alen >> 8);
		t->out[1] = (uint8_t)alen;
		bufferevent_write(bev, t->out, alen + 2);
		if (++c->queries >= t->src->cfg->tcp_max_queries)
			c->closing = true;
	}
	if (c->closing) {
		bufferevent_disable(bev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_free(bev, c);
	}
}

static void tcp_write_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	if (c->closing)
		conn_free(bev, c);
}

static void tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(bev, arg);
}

/* Closes a connection over dns.tcp_max_connections_per_client at once. The log says so at most once a minute,
 * with the count since, so a flood of connections does not flood the log as well. */
static void tcp_refuse(struct dns_tcp *t, evutil_socket_t fd, const struct sockaddr *sa)
{
	close(fd);
	t->refused++;
	time_t now = time(NULL);
	if (now - t->refused_logged < 60)
		return;
	char who[INET6_ADDRSTRLEN];
	netaddr_format_ip(sa, who, sizeof(who));
	log_warn("dns tcp: %lu connection(s) refused: over %u open from one address (last %s)", t->refused,
		 t->src->cfg->tcp_max_conns_per_client, who);
	t->refused = 0;
	t->refused_logged = now;
}

static void tcp_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct dns_tcp *t = arg;
	struct sockaddr_storage peer = { 0 };
	if (salen > 0 && (size_t)salen <= sizeof(peer))
		memcpy(&peer, sa, (size_t)salen);
	if (!connlimit_acquire(t->per_client, (const struct sockaddr *)&peer)) {
		tcp_refuse(t, fd, (const struct sockaddr *)&peer);
		return;
	}
	struct tcp_conn *c = calloc(1, sizeof(*c));
	struct bufferevent *bev = c ? bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
	if (!bev) {
		connlimit_release(t->per_client, (const struct sockaddr *)&peer);
		free(c);
		close(fd);
		return;
	}
	c->t = t;
	c->bev = bev;
	c->peer = peer;
	c->next = t->conns;
	if (t->conns)
		t->conns->prev = c;
	t->conns = c;
	struct timeval idle = { t->src->cfg->tcp_idle_timeout, 0 };
	bufferevent_set_timeouts(bev, &idle, &idle);
	bufferevent_setwatermark(bev, EV_READ, 0, 2 + ANSWER_TCP_MAX);
	bufferevent_setcb(bev, tcp_read_cb, tcp_write_cb, tcp_event_cb, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* The table of open connections per client address (dns.tcp_max_connections_per_client). Returns 0 or -1. */
static int per_client_new(struct dns_tcp *t, const struct config *cfg, char *errbuf, size_t errlen)
{
	uint64_t seed;
	if (cfg->tcp_max_conns_per_client == 0)
		return 0;
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		snprintf(errbuf, errlen, "dns tcp: no randomness for the connection table: %s", strerror(errno));
		return -1;
	}
	if (!(t->per_client = connlimit_new(cfg->tcp_max_conns_per_client, seed))) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	return 0;
}

struct dns_tcp *dns_tcp_bind(const struct config *cfg, char *errbuf, size_t errlen)
{
	struct dns_tcp *t = calloc(1, sizeof(*t));
	if (!t || !(t->base = event_base_new())) {
		free(t);
		snprintf(errbuf, errlen, "cannot create the TCP event loop");
		return NULL;
	}
	if (per_client_new(t, cfg, errbuf, errlen) < 0) {
		dns_tcp_stop(t);
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_dns_listen; i++) {
		const struct config_listen *l = &cfg->dns_listen[i];
		if (!l->tcp)
			continue;
		unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
		if (l->addr.ss_family == AF_INET6)
			flags |= LEV_OPT_BIND_IPV6ONLY;
		t->listeners[t->n] = evconnlistener_new_bind(t->base, tcp_accept_cb, t, flags, 128,
							     (const struct sockaddr *)&l->addr, (int)l->addrlen);
		if (!t->listeners[t->n]) {
			snprintf(errbuf, errlen, "dns tcp %s: %s", l->text, strerror(errno));
			dns_tcp_stop(t);
			return NULL;
		}
		t->n++;
	}
	return t;
}

static void *tcp_thread_main(void *arg)
{
	struct dns_tcp *t = arg;
	rcu_register_thread();
	event_base_loop(t->base, EVLOOP_NO_EXIT_ON_EMPTY);
	rcu_unregister_thread();
	return NULL;
}

int dns_tcp_start(struct dns_tcp *t, struct dns_source *src)
{
	t->src = src;
	if (pthread_create(&t->thread, NULL, tcp_thread_main, t) != 0)
		return -1;
	t->started = true;
	return 0;
}

void dns_tcp_stop(struct dns_tcp *t)
{
	if (!t)
		return;
	if (t->started) {
		event_base_loopbreak(t->base);
		pthread_join(t->thread, NULL);
	}
	while (t->conns)
		conn_free(t->conns->bev, t->conns);
	for (size_t i = 0; i < t->n; i++)
		evconnlistener_free(t->listeners[i]);
	event_base_free(t->base);
	connlimit_free(t->per_client);
	free(t);
}
