/* Fuzz target: the whole DNS query path, packet in, answer out, over UDP and TCP sizes. */
#include "answer.h"
#include "config.h"
#include "log.h"
#include "txt_table.h"
#include "zonedb.h"

#include <urcu.h>

#include <stdlib.h>

static struct answer_env env;

static void fuzz_setup(void)
{
	static struct config cfg;
	rcu_register_thread();
	log_setup(LOG_LVL_ERROR, 0);
	cfg.zone = "auth.example.test";
	cfg.ns_name = "ns1.auth.example.test";
	cfg.admin = "hostmaster.example.test";
	const char *dir = getenv("ADNS_FUZZ_ZONES");
	cfg.zones_dir = (char *)(dir ? dir : "tests/unit/data/zones");
	cfg.negative_ttl = 60;
	struct txt_table *txt = txt_table_new();
	struct txt_item items[2] = { { "BCiW3BlmuKYhTlODq6W4uTHPoEnReq-jfrinfIWbldo", 1 },
				     { "26AILsaOctR_qSbcyR-5sAlhzrQ0JVSgwqpWcUSlptM", 2 } };
	txt_table_set(txt, "0a1b2c3d-0000-4000-8000-000000000001", items, 2);
	env = (struct answer_env){ .db = zonedb_load(&cfg, NULL), .txt = txt, .challenge_ttl = 1,
				   .edns_max_payload = 1232 };
	if (!env.db)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	if (!env.db)
		fuzz_setup();
	rcu_read_lock();
	size_t n = answer_query(&env, data, size, out, 65535, size & 1);
	rcu_read_unlock();
	if (n > 65535)
		abort();
	return 0;
}
