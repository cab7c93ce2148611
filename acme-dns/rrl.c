/* Response rate limiting for UDP: a token bucket per client network, a slip counter, and a summary in the log. */
#include "rrl.h"

#include "log.h"
#include "netaddr.h"
#include "ratelimit.h"
#include "wire.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each worker's table: 8192 client networks, about 320 KB. Beyond that the networks seen least recently (or
 * whose buckets are full again) are forgotten, which only ever gives a client a fresh burst. */
#define RRL_SLOTS         8192
#define RRL_REPORT_MS     10000   /* the log gets at most one summary per worker this often */
#define DNS_HEADER_LEN    12
#define DNS_FLAG_TC       0x02    /* in the third header byte */

struct rrl {
	struct ratelimit *rl;
	uint32_t slip;
	uint32_t over;                /* answers over the rate since the last slipped one */
	int v4_prefix, v6_prefix;
	uint64_t dropped, slipped;    /* since the last summary */
	uint64_t total_dropped, total_slipped;
	int64_t reported_ms;
	bool reported;
	struct sockaddr_storage last; /* the last client limited, for the summary */
};

struct rrl *rrl_new(const struct config *cfg, uint64_t seed)
{
	if (!cfg || cfg->rrl_rate == 0)
		return NULL;
	struct rrl *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	const struct ratelimit_conf conf = { .rate = cfg->rrl_rate, .burst = cfg->rrl_burst ? cfg->rrl_burst : cfg->rrl_rate,
					     .ipv4_prefix = (int)cfg->rrl_ipv4_prefix, .ipv6_prefix = (int)cfg->rrl_ipv6_prefix };
	r->rl = ratelimit_new(&conf, RRL_SLOTS, seed);
	if (!r->rl) {
		free(r);
		return NULL;
	}
	r->slip = cfg->rrl_slip;
	r->v4_prefix = conf.ipv4_prefix;
	r->v6_prefix = conf.ipv6_prefix;
	return r;
}

void rrl_free(struct rrl *r)
{
	if (!r)
		return;
	ratelimit_free(r->rl);
	free(r);
}

/* Remembers the client for the summary; only the address family's own part is copied. */
static void remember_client(struct rrl *r, const struct sockaddr *client)
{
	memset(&r->last, 0, sizeof(r->last));
	if (client && client->sa_family == AF_INET)
		memcpy(&r->last, client, sizeof(struct sockaddr_in));
	else if (client && client->sa_family == AF_INET6)
		memcpy(&r->last, client, sizeof(struct sockaddr_in6));
}

enum rrl_action rrl_check(struct rrl *r, const struct sockaddr *client, int64_t now_ms)
{
	if (!r || ratelimit_take(r->rl, client, now_ms, NULL))
		return RRL_SEND;
	remember_client(r, client);
	/* One counter per worker, not per client: with few limited clients it is every slip-th answer of each,
	 * with many it is still one in slip overall, and it costs nothing in the table. */
	if (r->slip && ++r->over >= r->slip) {
		r->over = 0;
		r->slipped++;
		r->total_slipped++;
		return RRL_SLIP;
	}
	r->dropped++;
	r->total_dropped++;
	return RRL_DROP;
}

size_t rrl_truncate(uint8_t *msg, size_t len)
{
	if (len < DNS_HEADER_LEN)
		return 0;
	size_t end = DNS_HEADER_LEN;
	if (msg[4] != 0 || msg[5] != 0) {
		struct wire_rd rd = { .pkt = msg, .len = len, .pos = DNS_HEADER_LEN };
		uint8_t name[WIRE_NAME_MAX];
		wire_rd_name(&rd, name);
		wire_rd_skip(&rd, 4);   /* type and class */
		if (!rd.err)
			end = rd.pos;
	}
	msg[2] |= DNS_FLAG_TC;
	memset(msg + 4, 0, 8);
	msg[5] = end > DNS_HEADER_LEN;   /* QDCOUNT 1 when the question was kept */
	return end;
}

/* Writes the network r limits client by, e.g. "192.0.2.0/24". */
static void format_network(const struct rrl *r, const struct sockaddr *client, char *buf, size_t len)
{
	uint8_t key[NETADDR_KEY_LEN];
	char addr[INET6_ADDRSTRLEN];
	netaddr_key(client, r->v4_prefix, r->v6_prefix, key);
	int family = key[0] == 4 ? AF_INET : AF_INET6;
	if (key[0] == 0 || !inet_ntop(family, key + 1, addr, sizeof(addr)))
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%s/%d", addr, key[0] == 4 ? r->v4_prefix : r->v6_prefix);
}

void rrl_report(struct rrl *r, int64_t now_ms, const char *who)
{
	if (!r || (r->dropped == 0 && r->slipped == 0))
		return;
	if (r->reported && now_ms - r->reported_ms < RRL_REPORT_MS)
		return;
	char net[INET6_ADDRSTRLEN + 8];
	format_network(r, (const struct sockaddr *)&r->last, net, sizeof(net));
	log_info("dns udp %s: response rate limit: %llu answers dropped, %llu sent truncated%s; last client network %s",
		 who, (unsigned long long)r->dropped, (unsigned long long)r->slipped,
		 r->reported ? " since the last summary" : "", net);
	r->dropped = r->slipped = 0;
	r->reported_ms = now_ms;
	r->reported = true;
}

void rrl_totals(const struct rrl *r, uint64_t *dropped, uint64_t *slipped)
{
	*dropped = r ? r->total_dropped : 0;
	*slipped = r ? r->total_slipped : 0;
}
