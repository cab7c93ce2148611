/* Open connections per client address: a chained hash table with one entry per address that has a connection
 * open, so its size follows the open connections and an entry goes with the last connection of its address. */
#include "connlimit.h"

#include "netaddr.h"

#include <stdlib.h>
#include <string.h>

#define CL_BUCKETS 1024   /* chains stay short up to many thousand addresses with open connections */

struct cl_entry {
	uint8_t key[NETADDR_KEY_LEN];
	uint32_t count;
	struct cl_entry *next;
};

struct connlimit {
	uint32_t max;
	uint64_t seed;
	struct cl_entry *buckets[CL_BUCKETS];
};

struct connlimit *connlimit_new(uint32_t max_per_client, uint64_t seed)
{
	if (max_per_client == 0)
		return NULL;
	struct connlimit *cl = calloc(1, sizeof(*cl));
	if (!cl)
		return NULL;
	cl->max = max_per_client;
	cl->seed = seed;
	return cl;
}

/* The link that points at client's entry (or at the NULL ending its chain); key receives client's key. */
static struct cl_entry **cl_find(struct connlimit *cl, const struct sockaddr *client, uint8_t key[NETADDR_KEY_LEN])
{
	netaddr_key(client, 32, 128, key);
	struct cl_entry **link = &cl->buckets[netaddr_key_hash(key, cl->seed) % CL_BUCKETS];
	while (*link && memcmp((*link)->key, key, NETADDR_KEY_LEN) != 0)
		link = &(*link)->next;
	return link;
}

bool connlimit_acquire(struct connlimit *cl, const struct sockaddr *client)
{
	if (!cl)
		return true;
	uint8_t key[NETADDR_KEY_LEN];
	struct cl_entry **link = cl_find(cl, client, key);
	if (*link) {
		if ((*link)->count >= cl->max)
			return false;
		(*link)->count++;
		return true;
	}
	struct cl_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return false;   /* refusing one connection is better than not counting it */
	memcpy(e->key, key, NETADDR_KEY_LEN);
	e->count = 1;
	*link = e;
	return true;
}

void connlimit_release(struct connlimit *cl, const struct sockaddr *client)
{
	if (!cl)
		return;
	uint8_t key[NETADDR_KEY_LEN];
	struct cl_entry **link = cl_find(cl, client, key);
	struct cl_entry *e = *link;
	if (!e || --e->count > 0)
		return;
	*link = e->next;
	free(e);
}

uint32_t connlimit_count(struct connlimit *cl, const struct sockaddr *client)
{
	if (!cl)
		return 0;
	uint8_t key[NETADDR_KEY_LEN];
	struct cl_entry **link = cl_find(cl, client, key);
	return *link ? (*link)->count : 0;
}

void connlimit_free(struct connlimit *cl)
{
	if (!cl)
		return;
	for (size_t i = 0; i < CL_BUCKETS; i++) {
		while (cl->buckets[i]) {
			struct cl_entry *e = cl->buckets[i];
			cl->buckets[i] = e->next;
			free(e);
		}
	}
	free(cl);
}
