/* Fuzz target: the RFC 2136 UPDATE path. Each input goes in as it is (the TSIG gate and the format checks),
 * then, when ldns can read it, signed with the configured key, so the policy, the prerequisites, the store
 * and the tables are reached too. */
#include "config.h"
#include "log.h"
#include "store.h"
#include "tsig.h"
#include "txt_table.h"
#include "update.h"
#include "zonedb.h"

#include <ldns/ldns.h>
#include <urcu.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KEY_NAME "fuzz-key."
#define KEY_B64  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static struct update_env env;
static struct config_key key;
static char store_dir[256], store_path[300];

static void fuzz_cleanup(void)
{
	store_close(env.store);
	tsig_key_free(key.tsig);
	char wal[320];
	unlink(store_path);
	snprintf(wal, sizeof(wal), "%s-wal", store_path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", store_path);
	unlink(wal);
	rmdir(store_dir);
}

static void fuzz_setup(void)
{
	static struct config cfg;
	uint8_t secret[32];
	char err[256];
	static char *subs[] = { "0a1b2c3d-0000-4000-8000-000000000001" };
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	rcu_register_thread();
	log_setup(LOG_LVL_ERROR, 0);
	for (int i = 0; i < 32; i++)
		secret[i] = (uint8_t)i;
	key = (struct config_key){ .name = "fuzz-key", .tsig = tsig_key_new_raw("fuzz-key", TSIG_HMAC_SHA256, secret,
										 sizeof(secret), err, sizeof(err)),
				   .subdomains = subs, .n_subdomains = 1, .all_zones = true };
	if (!key.tsig)
		abort();
	cfg.zone = "auth.example.test";
	cfg.ns_name = "ns1.auth.example.test";
	cfg.admin = "hostmaster.example.test";
	const char *dir = getenv("ADNS_FUZZ_ZONES");
	cfg.zones_dir = (char *)(dir ? dir : "tests/unit/data/zones");
	cfg.negative_ttl = 60;
	cfg.values_kept = 2;
	cfg.update_fudge = 300;
	cfg.keys = &key;
	cfg.n_keys = 1;
	const char *tmp = getenv("TMPDIR");
	snprintf(store_dir, sizeof(store_dir), "%s/adns-fuzz-update.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(store_dir))
		abort();
	snprintf(store_path, sizeof(store_path), "%s/store.db", store_dir);
	struct txt_table *accounts = txt_table_new();
	env = (struct update_env){ .cfg = &cfg, .db = zonedb_load(&cfg, NULL), .accounts = accounts,
				   .names = txt_table_new(), .store = store_open(store_path, 2, err, sizeof(err)),
				   .write_lock = &lock, .client = "fuzz" };
	if (!env.db || !env.accounts || !env.names || !env.store || txt_table_register(accounts, subs[0]) < 0)
		abort();
	atexit(fuzz_cleanup);
}

static void run(const uint8_t *msg, size_t len)
{
	static uint8_t out[65536];
	env.now = (int64_t)time(NULL);
	rcu_read_lock();
	size_t n = update_handle(&env, msg, len, out, sizeof(out));
	rcu_read_unlock();
	if (n > sizeof(out))
		abort();
}

/* Re-encodes what ldns read, signs it, and runs it again: the way past the TSIG gate. */
static void run_signed(const uint8_t *data, size_t size)
{
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, data, size) != LDNS_STATUS_OK)
		return;
	ldns_rr_free(ldns_pkt_tsig(p));
	ldns_pkt_set_tsig(p, NULL);
	uint8_t *wire = NULL;
	size_t len = 0;
	if (ldns_pkt_get_opcode(p) == LDNS_PACKET_UPDATE && !ldns_pkt_qr(p) &&
	    ldns_pkt_tsig_sign(p, KEY_NAME, KEY_B64, 300, "hmac-sha256.", NULL) == LDNS_STATUS_OK &&
	    ldns_pkt2wire(&wire, p, &len) == LDNS_STATUS_OK)
		run(wire, len);
	free(wire);
	ldns_pkt_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!env.store)
		fuzz_setup();
	run(data, size);
	run_signed(data, size);
	return 0;
}
