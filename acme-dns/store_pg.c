/* The store on PostgreSQL: not built yet. */
#include "store_backend.h"

struct store *store_pg_open(const char *url, unsigned values_kept, char *errbuf, size_t errlen)
{
	store_err_set(errbuf, errlen, "PostgreSQL stores are not supported by this build; give a SQLite file path");
	return NULL;
}
