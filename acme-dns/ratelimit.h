/* Token buckets per client network in a fixed-size table: bounded memory however many clients there are. */
#ifndef ADNS_RATELIMIT_H
#define ADNS_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ratelimit_conf {
	double rate;        /* tokens regained per second */
	double burst;       /* bucket size: the most a quiet client may take at once (at least 1) */
	int ipv4_prefix;    /* IPv4 clients (also IPv4-mapped IPv6) in one network of this length share a bucket */
	int ipv6_prefix;    /* the same for IPv6 */
};

/* A limiter; not thread-safe: give each thread its own. */
struct ratelimit;

/* Creates a limiter of about slots buckets (sets of 8), hashed with seed (random, so clients cannot aim at one
 * set). Returns NULL when conf->rate is not positive (no limiter: ratelimit_take(NULL, ...) allows everything)
 * or on allocation failure. Free with ratelimit_free. */
struct ratelimit *ratelimit_new(const struct ratelimit_conf *conf, size_t slots, uint64_t seed);
/* Takes one token from client's network at now_ms (a monotonic clock; going back refills nothing). Returns true
 * when allowed; otherwise false with *retry_after (if non-NULL) set to the whole seconds, at least 1, until a
 * token is back. A NULL client counts as one network of its own. rl NULL: always true. */
bool ratelimit_take(struct ratelimit *rl, const struct sockaddr *client, int64_t now_ms, uint32_t *retry_after);
/* Frees the limiter. NULL is fine. */
void ratelimit_free(struct ratelimit *rl);

#endif
