/* RFC 2136 UPDATE signed with TSIG (RFC 8945): challenge TXT values written by any RFC 2136 client, within
 * each key's policy, durable in the store before the answer. */
#ifndef ADNS_UPDATE_H
#define ADNS_UPDATE_H

#include "config.h"
#include "store.h"
#include "txt_table.h"
#include "zonedb.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UPDATE_MAX_RRS 64     /* prerequisites, and updates, per message */

struct update_env {
	const struct config *cfg;      /* keys, fudge, dns.zone, values_kept, max_value_age */
	const struct zonedb *db;       /* read inside the caller's rcu read section */
	struct txt_table *accounts;    /* account subdomains under dns.zone (also written by the HTTP API) */
	struct txt_table *names;       /* the _acme-challenge names UPDATE writes */
	struct store *store;
	pthread_mutex_t *write_lock;   /* serialises every store write and publish, with the HTTP API */
	int64_t now;                   /* unix seconds: TSIG time check, value ages */
	const char *client;            /* the peer's address, for the log line */
};

/* True when msg is a request with opcode UPDATE: it goes to update_handle, not to answer_query. */
bool update_is_update(const uint8_t *msg, size_t len);

/* Handles one UPDATE request msg[0..len) and writes the response into out[0..outcap) (outcap >= 1024).
 * Returns the response's length, or 0 when the message gets no answer. Changes are committed to the store
 * and published to the tables before it returns NOERROR; a refused message changes nothing. Logs one line.
 * Takes env->write_lock; the caller holds rcu_read_lock() from a registered thread. Any input is safe. */
size_t update_handle(const struct update_env *env, const uint8_t *msg, size_t len, uint8_t *out, size_t outcap);

#endif
