/* The HTTP API, compatible with joohoi/acme-dns: /register, /update, /health, plus documented extensions. */
#ifndef ADNS_API_H
#define ADNS_API_H

#include "config.h"
#include "store.h"
#include "txt_table.h"

#include <event2/event.h>
#include <pthread.h>

struct api;

struct api_deps {
	const struct config *cfg;
	struct store *store;
	struct txt_table *txt;
	pthread_mutex_t *write_lock;   /* held around every store write + table publish */
};

/* Binds the API listener on base (plain HTTP, or TLS when cfg has a certificate and key).
 * Returns NULL with errbuf set on failure. Call before dropping privileges. */
struct api *api_start(struct event_base *base, const struct api_deps *deps, char *errbuf, size_t errlen);
/* Re-reads the TLS certificate and key (SIGHUP); on failure keeps the old ones and logs. Returns 0 or -1. */
int api_reload_tls(struct api *api);
/* Stops listening and frees everything. NULL is fine. */
void api_free(struct api *api);

#endif
