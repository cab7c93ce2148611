/* Zone loading with ldns and the immutable per-zone lookup tables the responder reads without locks. */
#include "zonedb.h"

#include "log.h"
#include "wire.h"

#include <ldns/ldns.h>

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TYPE_ENT 0              /* marks a name that exists only as an ancestor (empty non-terminal) */

struct zone_node {
	uint8_t *owner;             /* case as written */
	uint8_t *lowner;            /* lower case */
	uint8_t lowner_len;
	bool delegation;
	uint16_t nrrsets;
	struct zone_rrset *rrsets;
};

struct zone {
	atomic_int refs;
	char *file;
	uint8_t *origin;
	uint8_t lorigin[WIRE_NAME_MAX];
	size_t origin_len;
	bool challenge;
	struct zone_node *nodes;
	size_t nnodes;
	uint32_t *slots;            /* open addressing index into nodes; UINT32_MAX = empty */
	size_t nslots;
	const struct zone_rrset *soa;
};

struct zonedb {
	struct zone **zones;
	size_t n;
	size_t errors;              /* zone files that failed to load */
};

/* One record while a zone is built. */
struct item {
	uint8_t lowner[WIRE_NAME_MAX];
	uint8_t owner[WIRE_NAME_MAX];
	uint8_t len;
	uint16_t type;
	uint32_t ttl;
	uint8_t *rdata;             /* 2-byte length + rdata; NULL for TYPE_ENT */
	int line;
};

struct builder {
	struct item *items;
	size_t n, cap;
	const char *file;
	uint8_t lorigin[WIRE_NAME_MAX];
	size_t origin_len;
	char err[512];
};

static uint64_t name_hash(const uint8_t *lname, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= lname[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 31);
}

static void zone_free(struct zone *z)
{
	if (!z || atomic_fetch_sub(&z->refs, 1) != 1)
		return;
	for (size_t i = 0; i < z->nnodes; i++) {
		struct zone_node *n = &z->nodes[i];
		for (unsigned j = 0; j < n->nrrsets; j++) {
			for (unsigned k = 0; k < n->rrsets[j].count; k++)
				free((void *)n->rrsets[j].rdata[k]);
			free(n->rrsets[j].rdata);
		}
		free(n->rrsets);
		free(n->owner);
		free(n->lowner);
	}
	free(z->nodes);
	free(z->slots);
	free(z->origin);
	free(z->file);
	free(z);
}

static struct item *builder_push(struct builder *b)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct item *p = realloc(b->items, cap * sizeof(*p));
		if (!p)
			return NULL;
		b->items = p;
		b->cap = cap;
	}
	struct item *it = &b->items[b->n++];
	memset(it, 0, sizeof(*it));
	return it;
}

static void builder_clear(struct builder *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->items[i].rdata);
	free(b->items);
	b->items = NULL;
	b->n = b->cap = 0;
}

/* Adds the ancestors of owner between it and the origin as empty non-terminal markers. */
static int builder_add_ancestors(struct builder *b, const struct item *rr)
{
	const uint8_t *o = rr->owner;
	size_t len = rr->len;
	while (len > b->origin_len) {
		len -= 1 + (size_t)o[0];
		o += 1 + o[0];
		if (len <= b->origin_len)
			break;
		struct item *it = builder_push(b);
		if (!it)
			return -1;
		memcpy(it->owner, o, len);
		wire_name_lower(it->lowner, o);
		it->len = (uint8_t)len;
		it->type = TYPE_ENT;
		it->line = rr->line;
	}
	return 0;
}

/* Converts one ldns record into a builder item; checks class, zone membership and the SOA rules. */
static int builder_add_rr(struct builder *b, const ldns_rr *rr, int line)
{
	const ldns_rdf *owner = ldns_rr_owner(rr);
	size_t olen = ldns_rdf_size(owner);
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		snprintf(b->err, sizeof(b->err), "%s:%d: only class IN is served", b->file, line);
		return -1;
	}
	if (olen > WIRE_NAME_MAX)
		return -1;
	struct item *it = builder_push(b);
	if (!it)
		return -1;
	memcpy(it->owner, ldns_rdf_data(owner), olen);
	wire_name_lower(it->lowner, it->owner);
	it->len = (uint8_t)olen;
	it->type = (uint16_t)ldns_rr_get_type(rr);
	it->ttl = ldns_rr_ttl(rr);
	it->line = line;
	if (b->n == 1) {
		if (it->type != LDNS_RR_TYPE_SOA) {
			snprintf(b->err, sizeof(b->err), "%s:%d: the first record must be the zone's SOA", b->file, line);
			return -1;
		}
		memcpy(b->lorigin, it->lowner, olen);
		b->origin_len = olen;
	} else if (!wire_name_under(it->lowner, olen, b->lorigin, b->origin_len)) {
		char *s = ldns_rdf2str(owner);
		snprintf(b->err, sizeof(b->err), "%s:%d: %s is outside the zone", b->file, line, s ? s : "name");
		free(s);
		return -1;
	} else if (it->type == LDNS_RR_TYPE_SOA) {
		snprintf(b->err, sizeof(b->err), "%s:%d: a second SOA record", b->file, line);
		return -1;
	}
	ldns_buffer *buf = ldns_buffer_new(512);
	if (!buf || ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK || ldns_buffer_position(buf) > 65535) {
		ldns_buffer_free(buf);
		snprintf(b->err, sizeof(b->err), "%s:%d: cannot encode record data", b->file, line);
		return -1;
	}
	size_t rdlen = ldns_buffer_position(buf);
	it->rdata = malloc(2 + rdlen);
	if (it->rdata) {
		it->rdata[0] = (uint8_t)(rdlen >> 8);
		it->rdata[1] = (uint8_t)rdlen;
		memcpy(it->rdata + 2, ldns_buffer_begin(buf), rdlen);
	}
	ldns_buffer_free(buf);
	struct item copy = *it;
	return it->rdata ? builder_add_ancestors(b, &copy) : -1;
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->lowner, y->lowner, n);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->line - y->line;
}

/* Builds one RRset from items[from..to) of one type; takes ownership of their rdata. */
static int rrset_fill(struct zone_rrset *set, struct item *items, size_t from, size_t to, const char *file)
{
	set->type = items[from].type;
	set->count = 0;
	set->ttl = items[from].ttl;
	set->rdata = calloc(to - from, sizeof(*set->rdata));
	if (!set->rdata)
		return -1;
	for (size_t i = from; i < to; i++) {
		if (items[i].ttl != set->ttl) {
			log_warn("%s:%d: TTLs differ inside one RRset; serving the lowest", file, items[i].line);
			if (items[i].ttl < set->ttl)
				set->ttl = items[i].ttl;
		}
		bool dup = false;       /* identical records collapse into one, as RFC 2181 5.1 asks */
		size_t len = 2 + ((size_t)items[i].rdata[0] << 8 | items[i].rdata[1]);
		for (unsigned k = 0; k < set->count && !dup; k++)   /* the length prefix differs first, so no overread */
			dup = memcmp(set->rdata[k], items[i].rdata, 2) == 0 && memcmp(set->rdata[k], items[i].rdata, len) == 0;
		if (dup)
			continue;
		set->rdata[set->count++] = items[i].rdata;
		items[i].rdata = NULL;
	}
	return 0;
}

/* Builds node n from items[from..to) (one owner, sorted by type). */
static int node_fill(struct zone_node *n, struct builder *b, size_t from, size_t to, bool apex)
{
	struct item *items = b->items;
	n->owner = malloc(items[from].len);
	n->lowner = malloc(items[from].len);
	n->rrsets = calloc(to - from, sizeof(*n->rrsets));
	if (!n->owner || !n->lowner || !n->rrsets)
		return -1;
	memcpy(n->owner, items[from].owner, items[from].len);
	memcpy(n->lowner, items[from].lowner, items[from].len);
	n->lowner_len = items[from].len;
	for (size_t i = from; i < to;) {
		size_t j = i;
		while (j < to && items[j].type == items[i].type)
			j++;
		if (items[i].type != TYPE_ENT && rrset_fill(&n->rrsets[n->nrrsets++], items, i, j, b->file) < 0)
			return -1;
		if (items[i].type == LDNS_RR_TYPE_NS && !apex)
			n->delegation = true;
		i = j;
	}
	if (n->nrrsets > 1 && zone_node_rrset(n, LDNS_RR_TYPE_CNAME)) {
		snprintf(b->err, sizeof(b->err), "%s:%d: a CNAME cannot stand beside other data at its name", b->file,
			 items[from].line);
		return -1;
	}
	return 0;
}

static int zone_index(struct zone *z)
{
	z->nslots = 16;
	while (z->nslots < z->nnodes * 2)
		z->nslots *= 2;
	z->slots = malloc(z->nslots * sizeof(*z->slots));
	if (!z->slots)
		return -1;
	memset(z->slots, 0xFF, z->nslots * sizeof(*z->slots));
	for (size_t i = 0; i < z->nnodes; i++) {
		size_t s = name_hash(z->nodes[i].lowner, z->nodes[i].lowner_len) & (z->nslots - 1);
		while (z->slots[s] != UINT32_MAX)
			s = (s + 1) & (z->nslots - 1);
		z->slots[s] = (uint32_t)i;
	}
	return 0;
}

/* Turns the collected records into a zone. */
static struct zone *zone_build(struct builder *b)
{
	qsort(b->items, b->n, sizeof(*b->items), item_cmp);
	struct zone *z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	atomic_init(&z->refs, 1);
	z->nodes = calloc(b->n, sizeof(*z->nodes));
	z->file = strdup(b->file);
	if (!z->nodes || !z->file)
		goto fail;
	for (size_t i = 0; i < b->n;) {
		size_t j = i;
		while (j < b->n && b->items[j].len == b->items[i].len &&
		       memcmp(b->items[j].lowner, b->items[i].lowner, b->items[i].len) == 0)
			j++;
		bool apex = b->items[i].len == b->origin_len && memcmp(b->items[i].lowner, b->lorigin, b->origin_len) == 0;
		if (node_fill(&z->nodes[z->nnodes++], b, i, j, apex) < 0)
			goto fail;
		i = j;
	}
	memcpy(z->lorigin, b->lorigin, b->origin_len);
	z->origin_len = b->origin_len;
	if (zone_index(z) < 0)
		goto fail;
	const struct zone_node *apex = zone_find_node(z, z->lorigin, z->origin_len);
	z->soa = apex ? zone_node_rrset(apex, LDNS_RR_TYPE_SOA) : NULL;
	z->origin = malloc(z->origin_len);
	if (!z->soa || !z->origin)
		goto fail;
	memcpy(z->origin, apex->owner, z->origin_len);
	return z;
fail:
	zone_free(z);
	return NULL;
}

/* Reads a master file record by record so each error carries its line. origin_hint comes from the file name. */
static int builder_read_file(struct builder *b, FILE *fp, const char *origin_hint)
{
	ldns_rdf *origin = ldns_dname_new_frm_str(origin_hint);
	ldns_rdf *prev = NULL;
	uint32_t ttl = 3600;
	int line = 0, rc = 0;
	while (!feof(fp) && rc == 0) {
		ldns_rr *rr = NULL;
		int start = line;
		/* ldns counts the newlines it consumed: an error sits on the last line read, or the next one when
		 * the file ends without a newline. */
		ldns_status s = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);
		if (line <= start)
			line = start + 1;
		if (s == LDNS_STATUS_OK) {
			rc = builder_add_rr(b, rr, start + 1);
			ldns_rr_free(rr);
		} else if (s == LDNS_STATUS_SYNTAX_INCLUDE) {
			snprintf(b->err, sizeof(b->err), "%s:%d: $INCLUDE is not supported", b->file, line);
			rc = -1;
		} else if (s != LDNS_STATUS_SYNTAX_EMPTY && s != LDNS_STATUS_SYNTAX_TTL && s != LDNS_STATUS_SYNTAX_ORIGIN) {
			snprintf(b->err, sizeof(b->err), "%s:%d: %s", b->file, line, ldns_get_errorstr_by_id(s));
			rc = -1;
		}
	}
	if (rc == 0 && b->n == 0) {
		snprintf(b->err, sizeof(b->err), "%s: no records (a zone needs its SOA)", b->file);
		rc = -1;
	}
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	return rc;
}

static struct zone *zone_load_file(const char *path)
{
	struct builder b = { .file = path };
	FILE *fp = fopen(path, "r");
	if (!fp) {
		log_error("%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	char hint[256];
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t blen = strnlen(base, sizeof(hint) - 1);
	memcpy(hint, base, blen);
	hint[blen] = '\0';
	char *ext = strstr(hint, ".zone");
	if (ext)
		*ext = '\0';
	struct zone *z = NULL;
	if (builder_read_file(&b, fp, hint) == 0)
		z = zone_build(&b);
	if (!z)
		log_error("%s", b.err[0] ? b.err : "out of memory while loading a zone");
	fclose(fp);
	builder_clear(&b);
	return z;
}

/* The challenge apex when no zone file provides it: SOA and NS from the configuration, and the addresses of the NS
 * name when dns.ns_addresses gives them (it lies inside the zone, so nobody else can serve them). */
static struct zone *zone_synthesize_apex(const struct config *cfg)
{
	char line[768];
	struct builder b = { .file = "(configuration)" };
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < 2 + cfg->n_ns_addresses; i++) {
		if (i == 0)
			snprintf(line, sizeof(line), "%s. 3600 IN SOA %s. %s. %lld 3600 600 604800 %u", cfg->zone,
				 cfg->ns_name, cfg->admin, (long long)time(NULL), cfg->negative_ttl);
		else if (i == 1)
			snprintf(line, sizeof(line), "%s. 3600 IN NS %s.", cfg->zone, cfg->ns_name);
		else
			snprintf(line, sizeof(line), "%s. 3600 IN %s %s", cfg->ns_name,
				 strchr(cfg->ns_addresses[i - 2], ':') ? "AAAA" : "A", cfg->ns_addresses[i - 2]);
		ldns_rr *rr = NULL;
		rc = ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) == LDNS_STATUS_OK ? builder_add_rr(&b, rr, 0) : -1;
		ldns_rr_free(rr);
	}
	struct zone *z = rc == 0 ? zone_build(&b) : NULL;
	if (!z)
		log_error("cannot build the zone %s from dns.zone, dns.ns_name, dns.ns_addresses and dns.admin %s",
			  cfg->zone, b.err);
	builder_clear(&b);
	return z;
}

static struct zone *old_zone_for(const struct zonedb *old, const char *path)
{
	for (size_t i = 0; old && i < old->n; i++)
		if (strcmp(old->zones[i]->file, path) == 0) {
			atomic_fetch_add(&old->zones[i]->refs, 1);
			return old->zones[i];
		}
	return NULL;
}

static int zonedb_add(struct zonedb *db, struct zone *z)
{
	for (size_t i = 0; i < db->n; i++)
		if (db->zones[i]->origin_len == z->origin_len &&
		    memcmp(db->zones[i]->lorigin, z->lorigin, z->origin_len) == 0) {
			log_error("%s: zone already loaded from %s; ignored", z->file, db->zones[i]->file);
			zone_free(z);
			return 0;
		}
	struct zone **p = realloc(db->zones, (db->n + 1) * sizeof(*p));
	if (!p) {
		zone_free(z);
		return -1;
	}
	db->zones = p;
	db->zones[db->n++] = z;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads each *.zone of dir in name order; a broken file keeps its old zone. */
static void zonedb_load_dir(struct zonedb *db, const char *dir, const struct zonedb *old)
{
	DIR *d = opendir(dir);
	if (!d) {
		db->errors++;
		log_error("%s: cannot open zones directory: %s", dir, strerror(errno));
		return;
	}
	char *names[4096];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 4096) {
		size_t l = strlen(de->d_name);
		if (l > 5 && strcmp(de->d_name + l - 5, ".zone") == 0 && de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i] ? names[i] : "");
		struct zone *z = names[i] ? zone_load_file(path) : NULL;
		if (!z)
			db->errors++;
		if (!z && (z = old_zone_for(old, path)))
			log_warn("%s: keeping the zone loaded before", path);
		if (z)
			zonedb_add(db, z);
		free(names[i]);
	}
}

struct zonedb *zonedb_load(const struct config *cfg, const struct zonedb *old)
{
	struct zonedb *db = calloc(1, sizeof(*db));
	if (!db)
		return NULL;
	if (cfg->zones_dir)
		zonedb_load_dir(db, cfg->zones_dir, old);
	uint8_t apex[WIRE_NAME_MAX], lapex[WIRE_NAME_MAX];
	size_t alen = wire_name_from_str(cfg->zone, apex);
	if (alen == 0) {
		zonedb_free(db);
		return NULL;
	}
	wire_name_lower(lapex, apex);
	struct zone *z = NULL;
	for (size_t i = 0; i < db->n && !z; i++)
		if (db->zones[i]->origin_len == alen && memcmp(db->zones[i]->lorigin, lapex, alen) == 0)
			z = db->zones[i];
	if (!z) {
		z = zone_synthesize_apex(cfg);
		if (!z || zonedb_add(db, z) < 0) {
			zonedb_free(db);
			return NULL;
		}
	}
	z->challenge = true;
	for (size_t i = 0; i < db->n; i++) {
		char origin[WIRE_NAME_MAX * 4];
		wire_name_to_str(db->zones[i]->lorigin, origin, sizeof(origin));
		log_info("zone %s: %zu names from %s%s", origin, db->zones[i]->nnodes, db->zones[i]->file,
			 db->zones[i]->challenge ? " (challenge apex)" : "");
	}
	return db;
}

void zonedb_free(struct zonedb *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n; i++)
		zone_free(db->zones[i]);
	free(db->zones);
	free(db);
}

size_t zonedb_count(const struct zonedb *db)
{
	return db->n;
}

size_t zonedb_errors(const struct zonedb *db)
{
	return db->errors;
}

const struct zone *zonedb_find(const struct zonedb *db, const uint8_t *lname, size_t len)
{
	const struct zone *best = NULL;
	for (size_t i = 0; i < db->n; i++) {
		const struct zone *z = db->zones[i];
		if ((!best || z->origin_len > best->origin_len) && wire_name_under(lname, len, z->lorigin, z->origin_len))
			best = z;
	}
	return best;
}

const uint8_t *zone_origin(const struct zone *z) { return z->origin; }
size_t zone_origin_len(const struct zone *z) { return z->origin_len; }
bool zone_is_challenge(const struct zone *z) { return z->challenge; }
const struct zone_rrset *zone_soa(const struct zone *z) { return z->soa; }

const struct zone_node *zone_find_node(const struct zone *z, const uint8_t *lname, size_t len)
{
	size_t s = name_hash(lname, len) & (z->nslots - 1);
	while (z->slots[s] != UINT32_MAX) {
		const struct zone_node *n = &z->nodes[z->slots[s]];
		if (n->lowner_len == len && memcmp(n->lowner, lname, len) == 0)
			return n;
		s = (s + 1) & (z->nslots - 1);
	}
	return NULL;
}

const uint8_t *zone_node_owner(const struct zone_node *n) { return n->owner; }
bool zone_node_is_delegation(const struct zone_node *n) { return n->delegation; }

const struct zone_rrset *zone_node_rrset(const struct zone_node *n, uint16_t type)
{
	for (unsigned i = 0; i < n->nrrsets; i++)
		if (n->rrsets[i].type == type)
			return &n->rrsets[i];
	return NULL;
}

const struct zone_rrset *zone_node_rrset_at(const struct zone_node *n, unsigned i)
{
	return i < n->nrrsets ? &n->rrsets[i] : NULL;
}
