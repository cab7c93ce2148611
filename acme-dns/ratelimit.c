/* Token buckets per client network: a set-associative table of fixed size, keyed by a seeded hash. */
#include "ratelimit.h"

#include "netaddr.h"

#include <stdlib.h>
#include <string.h>

#define RL_WAYS 8
/* Refills are computed in floating point: a bucket that should hold exactly one token may miss it by a
 * rounding error, which must not cost a client a whole refill period. */
#define RL_EPSILON 1e-9

struct rl_slot {
	uint8_t key[NETADDR_KEY_LEN];
	bool used;
	double tokens;
	int64_t last_ms;
};

struct ratelimit {
	double capacity;
	double per_ms;          /* tokens regained per millisecond */
	int v4_prefix, v6_prefix;
	size_t nsets;
	uint64_t seed;
	struct rl_slot slots[];
};

struct ratelimit *ratelimit_new(const struct ratelimit_conf *conf, size_t slots, uint64_t seed)
{
	if (!conf || !(conf->rate > 0))
		return NULL;
	size_t nsets = slots / RL_WAYS ? slots / RL_WAYS : 1;
	struct ratelimit *rl = calloc(1, sizeof(*rl) + nsets * RL_WAYS * sizeof(struct rl_slot));
	if (!rl)
		return NULL;
	rl->capacity = conf->burst >= 1.0 ? conf->burst : 1.0;
	rl->per_ms = conf->rate / 1000.0;
	rl->v4_prefix = conf->ipv4_prefix;
	rl->v6_prefix = conf->ipv6_prefix;
	rl->nsets = nsets;
	rl->seed = seed;
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	free(rl);
}

static double rl_refilled(const struct ratelimit *rl, const struct rl_slot *s, int64_t now_ms)
{
	double t = s->tokens;
	if (now_ms > s->last_ms)
		t += (double)(now_ms - s->last_ms) * rl->per_ms;
	return t > rl->capacity ? rl->capacity : t;
}

/* The slot of key in its set; a new key takes a free slot, else one whose bucket is full again (forgetting
 * it loses nothing), else the least recently used one. */
static struct rl_slot *rl_slot_for(struct ratelimit *rl, const uint8_t key[NETADDR_KEY_LEN], int64_t now_ms)
{
	struct rl_slot *set = rl->slots + (netaddr_key_hash(key, rl->seed) % rl->nsets) * RL_WAYS;
	struct rl_slot *victim = NULL;
	bool victim_idle = false;
	for (size_t i = 0; i < RL_WAYS; i++) {
		struct rl_slot *s = &set[i];
		if (s->used && memcmp(s->key, key, NETADDR_KEY_LEN) == 0)
			return s;
		bool idle = !s->used || rl_refilled(rl, s, now_ms) >= rl->capacity;
		if (!victim || (idle && !victim_idle) || (idle == victim_idle && s->last_ms < victim->last_ms)) {
			victim = s;
			victim_idle = idle;
		}
	}
	memcpy(victim->key, key, NETADDR_KEY_LEN);
	victim->used = true;
	victim->tokens = rl->capacity;
	victim->last_ms = now_ms;
	return victim;
}

/* Whole seconds until the bucket holds one token again, rounded up, at least 1. */
static uint32_t rl_retry_after(const struct ratelimit *rl, double tokens)
{
	double secs = (1.0 - tokens) / rl->per_ms / 1000.0 - RL_EPSILON;
	if (secs >= 4294967295.0)
		return UINT32_MAX;
	uint32_t whole = (uint32_t)secs;
	return (double)whole < secs ? whole + 1 : (whole ? whole : 1);
}

bool ratelimit_take(struct ratelimit *rl, const struct sockaddr *client, int64_t now_ms, uint32_t *retry_after)
{
	if (!rl)
		return true;
	uint8_t key[NETADDR_KEY_LEN];
	netaddr_key(client, rl->v4_prefix, rl->v6_prefix, key);
	struct rl_slot *s = rl_slot_for(rl, key, now_ms);
	s->tokens = rl_refilled(rl, s, now_ms);
	if (now_ms > s->last_ms)
		s->last_ms = now_ms;
	if (s->tokens >= 1.0 - RL_EPSILON) {
		s->tokens -= 1.0;
		return true;
	}
	if (retry_after)
		*retry_after = rl_retry_after(rl, s->tokens);
	return false;
}
