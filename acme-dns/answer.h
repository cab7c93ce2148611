/* Query answering: one DNS message in, one answer out, from the zones and the challenge table. */
#ifndef ADNS_ANSWER_H
#define ADNS_ANSWER_H

#include "txt_table.h"
#include "zonedb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ANSWER_TCP_MAX 65535

struct answer_env {
	const struct zonedb *db;      /* read inside an RCU read section */
	struct txt_table *txt;
	struct txt_table *names;      /* _acme-challenge names written by UPDATE, in any zone; NULL = none */
	uint32_t challenge_ttl;
	uint32_t max_value_age;       /* 0 = serve every kept value */
	int64_t now;                  /* unix seconds, for max_value_age */
	uint16_t edns_max_payload;    /* largest UDP answer we send with EDNS (512..4096) */
};

/* Answers the query q[0..qlen) into out[0..outcap) (outcap >= 512; over TCP up to 65535).
 * Returns the answer's length, or 0 when the packet gets no answer at all (too short, or a response).
 * Never reads or writes out of bounds, whatever q holds. The caller holds rcu_read_lock(). */
size_t answer_query(const struct answer_env *env, const uint8_t *q, size_t qlen, uint8_t *out, size_t outcap,
		    bool tcp);

#endif
