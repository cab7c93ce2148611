/* Response rate limiting of UDP answers per client network, in the spirit of BIND's and Knot's RRL: a source
 * address spoofed by an attacker cannot be flooded with our answers (amplification), while a real resolver
 * that is limited still gets every slip-th answer truncated and retries over TCP, which is not limited. */
#ifndef ADNS_RRL_H
#define ADNS_RRL_H

#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum rrl_action {
	RRL_SEND = 0,   /* within the rate: send the answer as built */
	RRL_SLIP,       /* over the rate: send it truncated (rrl_truncate) */
	RRL_DROP,       /* over the rate: send nothing */
};

/* One limiter per UDP worker thread: no locks on the query path, so it is not thread-safe. */
struct rrl;

/* Creates a limiter with cfg's dns.rrl settings (rate, burst, slip, prefixes), hashed with seed. Returns NULL
 * when cfg->rrl_rate is 0 (off) or on allocation failure. Free with rrl_free. */
struct rrl *rrl_new(const struct config *cfg, uint64_t seed);
/* Counts one answer to client at now_ms (monotonic) and says what to do with it; counts what it limits.
 * Allocates nothing. */
enum rrl_action rrl_check(struct rrl *r, const struct sockaddr *client, int64_t now_ms);
/* Rewrites the answer msg[0..len) in place to its header and question alone, with TC set and the record counts
 * zero. Returns the new length (12 when the question cannot be read; 0 when len < 12). */
size_t rrl_truncate(uint8_t *msg, size_t len);
/* Logs, at most once per 10 s, how many answers were dropped and truncated since the last summary, and the last
 * client network limited; logs nothing when none were. who names the worker in the line. */
void rrl_report(struct rrl *r, int64_t now_ms, const char *who);
/* The answers dropped and truncated since the limiter was made. */
void rrl_totals(const struct rrl *r, uint64_t *dropped, uint64_t *slipped);
/* Frees the limiter. NULL is fine. */
void rrl_free(struct rrl *r);

#endif
