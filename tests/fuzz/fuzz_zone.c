/* Fuzz target: zone file loading. The input is one master file in zones_dir, loaded beside the synthesized
 * challenge apex; a broken file must be reported and skipped, never crash the loader. */
#include "config.h"
#include "log.h"
#include "zonedb.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[256], file[300];
	static struct config cfg;
	if (!dir[0]) {
		log_setup((enum log_level)(LOG_LVL_ERROR + 1), 0);  /* the loader logs every broken file: quiet */
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/fuzz-zone.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(dir))
			abort();
		snprintf(file, sizeof(file), "%s/example.test.zone", dir);
		cfg.zone = "auth.example.test";
		cfg.ns_name = "ns1.auth.example.test";
		cfg.admin = "hostmaster.example.test";
		cfg.zones_dir = dir;
		cfg.negative_ttl = 60;
	}
	FILE *f = fopen(file, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct zonedb *db = zonedb_load(&cfg, NULL);
	if (!db)
		abort();        /* the challenge apex alone always loads */
	zonedb_free(db);
	return 0;
}
