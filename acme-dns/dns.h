/* DNS listeners: UDP worker threads (SO_REUSEPORT, recvmmsg/sendmmsg) and TCP on a libevent thread. */
#ifndef ADNS_DNS_H
#define ADNS_DNS_H

#include "answer.h"
#include "config.h"
#include "store.h"
#include "update.h"

#include <pthread.h>
#include <sys/socket.h>

/* What the listeners answer from; db is an RCU-protected pointer the main thread swaps on reload. */
struct dns_source {
	const struct config *cfg;
	struct zonedb *db;          /* read with rcu_dereference */
	struct txt_table *txt;
	struct txt_table *names;    /* _acme-challenge names written by UPDATE */
	struct store *store;        /* where UPDATE writes */
	pthread_mutex_t *write_lock;/* shared with the HTTP API */
};

struct dns_udp;
struct dns_tcp;

/* Opens the UDP sockets (one per worker per address). Returns NULL with errbuf set. */
struct dns_udp *dns_udp_bind(const struct config *cfg, char *errbuf, size_t errlen);
/* Starts the worker threads. Returns 0 or -1. */
int dns_udp_start(struct dns_udp *u, struct dns_source *src);
/* Stops and joins the workers, closes the sockets, frees u. NULL is fine. */
void dns_udp_stop(struct dns_udp *u);

/* Opens the TCP listening sockets. Returns NULL with errbuf set. */
struct dns_tcp *dns_tcp_bind(const struct config *cfg, char *errbuf, size_t errlen);
/* Starts the TCP thread. Returns 0 or -1. */
int dns_tcp_start(struct dns_tcp *t, struct dns_source *src);
/* Stops and joins the TCP thread, closes everything, frees t. NULL is fine. */
void dns_tcp_stop(struct dns_tcp *t);

/* Fills env for one batch of queries from src; the caller holds rcu_read_lock(). */
void dns_source_env(struct dns_source *src, struct answer_env *env);
/* Answers one message from peer: an UPDATE goes to update_handle, anything else to answer_query with env.
 * Returns the answer's length in out, or 0 for no answer. The caller holds rcu_read_lock(). */
size_t dns_source_answer(struct dns_source *src, const struct answer_env *env, const uint8_t *msg, size_t len,
			 uint8_t *out, size_t outcap, bool tcp, const struct sockaddr *peer);

#endif
