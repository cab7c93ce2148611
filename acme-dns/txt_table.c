/* Challenge TXT table: a liburcu lock-free hash table of subdomains (or of whole names), each pointing to an
 * immutable value set. */
#include "txt_table.h"

#include "wire.h"

#include <urcu.h>
#include <urcu/rculfhash.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define TXT_LABEL_MAX 63
#define TXT_SET_MAX   16

struct txt_entry {
	struct cds_lfht_node node;
	struct txt_set *set;          /* rcu pointer; never NULL once published */
	struct rcu_head rcu;
	uint32_t refs;                /* name tables: names with values at or below this one (writers only) */
	bool has_values;              /* name tables: this name has values of its own (writers only) */
	uint8_t len;
	uint8_t key[];                /* a label or a wire name, lower case */
};

struct txt_set_box {                  /* a set with the rcu head used to free it */
	struct rcu_head rcu;
	struct txt_set set;
};

struct txt_table {
	struct cds_lfht *ht;
	uint64_t seed;
	size_t count;
	size_t buckets;               /* what the last resize of ours asked for */
};

#define TXT_BUCKETS_MIN 1024
#define TXT_BUCKETS_MAX (1UL << 24)

static uint64_t txt_hash(const struct txt_table *t, const uint8_t *label, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ t->seed;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)tolower(label[i]);
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

struct txt_key {
	const uint8_t *label;
	size_t len;
};

static int txt_match(struct cds_lfht_node *node, const void *key)
{
	const struct txt_entry *e = caa_container_of(node, struct txt_entry, node);
	const struct txt_key *k = key;
	if (e->len != k->len)
		return 0;
	for (size_t i = 0; i < k->len; i++)        /* length bytes of a wire name (< 64) are not letters */
		if ((uint8_t)tolower(k->label[i]) != e->key[i])
			return 0;
	return 1;
}

struct txt_table *txt_table_new(void)
{
	struct txt_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (getrandom(&t->seed, sizeof(t->seed), 0) != sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t;
	t->buckets = TXT_BUCKETS_MIN;
	t->ht = cds_lfht_new(TXT_BUCKETS_MIN, TXT_BUCKETS_MIN, 0, 0, NULL);   /* grown by table_grow */
	if (!t->ht) {
		free(t);
		return NULL;
	}
	return t;
}

static struct txt_set_box *set_box_of(struct txt_set *s)
{
	return caa_container_of(s, struct txt_set_box, set);
}

/* The set of a name registered without values: one shared, never freed, so a million registered accounts do not
 * cost a million allocations (and as many deferred frees when their first values arrive). */
static struct txt_set_box empty_box;

static void set_box_release(struct txt_set *s)
{
	if (s != &empty_box.set)
		free(set_box_of(s));
}

void txt_table_free(struct txt_table *t)
{
	if (!t)
		return;
	struct cds_lfht_iter it;
	struct cds_lfht_node *node;
	rcu_read_lock();
	cds_lfht_for_each(t->ht, &it, node) {
		struct txt_entry *e = caa_container_of(node, struct txt_entry, node);
		cds_lfht_del(t->ht, node);
		set_box_release(e->set);
		free(e);
	}
	rcu_read_unlock();
	cds_lfht_destroy(t->ht, NULL);
	free(t);
}

size_t txt_table_count(struct txt_table *t)
{
	return t->count;
}

static int label_ok(const char *s, size_t len)
{
	if (len == 0 || len > TXT_LABEL_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

/* One allocation per set: the box, the values, then their rdata packed behind them. A dns-01 value is 43
 * characters, so a set of one costs about 100 bytes instead of a fixed 256-byte buffer per value. */
static struct txt_set_box *set_build(const struct txt_item *items, size_t n)
{
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(items[i].value);
		if (len > 255)
			return NULL;
		bytes += len + 1;
	}
	struct txt_set_box *b = calloc(1, sizeof(*b) + n * sizeof(struct txt_value) + bytes);
	if (!b)
		return NULL;
	b->set.n = (uint32_t)n;
	uint8_t *data = (uint8_t *)&b->set.v[n];
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(items[i].value);
		struct txt_value *v = &b->set.v[i];
		v->created = items[i].created;
		v->rdlen = (uint8_t)len;
		data[0] = (uint8_t)len;
		memcpy(data + 1, items[i].value, len);
		v->rdata = data;
		data += len + 1;
	}
	return b;
}

static void set_free_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, struct txt_set_box, rcu));
}

static void entry_free_rcu(struct rcu_head *head)
{
	struct txt_entry *e = caa_container_of(head, struct txt_entry, rcu);
	set_box_release(e->set);
	free(e);
}

static struct txt_entry *entry_find(struct txt_table *t, const uint8_t *key, size_t len)
{
	struct txt_key k = { key, len };
	struct cds_lfht_iter it;
	cds_lfht_lookup(t->ht, txt_hash(t, key, len), txt_match, &k, &it);
	struct cds_lfht_node *node = cds_lfht_iter_get_node(&it);
	return node ? caa_container_of(node, struct txt_entry, node) : NULL;
}

/* Finds or inserts the entry for key (a label or a wire name, any case); the caller holds the writers' lock
 * and rcu_read_lock. */
static struct txt_entry *entry_get(struct txt_table *t, const uint8_t *key, size_t len)
{
	struct txt_entry *e = entry_find(t, key, len);
	if (e)
		return e;
	e = calloc(1, sizeof(*e) + len);
	if (!e)
		return NULL;
	e->len = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		e->key[i] = (uint8_t)tolower(key[i]);
	e->set = &empty_box.set;
	cds_lfht_node_init(&e->node);
	cds_lfht_add(t->ht, txt_hash(t, key, len), &e->node);
	t->count++;
	return e;
}

static struct txt_entry *label_entry_get(struct txt_table *t, const char *subdomain)
{
	size_t len = strlen(subdomain);
	return label_ok(subdomain, len) ? entry_get(t, (const uint8_t *)subdomain, len) : NULL;
}

/* Doubles the table, on the writer's thread, when it holds as many entries as buckets (a chain stays about one
 * node long; buckets cost 8 bytes each, so growing further ahead would cost memory for nothing). The
 * automatic resize runs later in a background thread: while a million names are loaded at start it lags so far
 * behind that the chains grow long and every insert walks them (start-up went from 1 s to tens of seconds).
 * Readers go on during a resize; it must run outside a read-side section. */
static void table_grow(struct txt_table *t)
{
	if (t->count < t->buckets || t->buckets >= TXT_BUCKETS_MAX)
		return;
	t->buckets *= 2;
	cds_lfht_resize(t->ht, t->buckets);
}

int txt_table_register(struct txt_table *t, const char *subdomain)
{
	table_grow(t);
	rcu_read_lock();
	struct txt_entry *e = label_entry_get(t, subdomain);
	rcu_read_unlock();
	return e ? 0 : -1;
}

/* Swaps in b as the entry's set; the old one is freed once no reader can hold it. */
static void entry_publish(struct txt_entry *e, struct txt_set_box *b)
{
	struct txt_set *old = rcu_xchg_pointer(&e->set, &b->set);
	if (old != &empty_box.set)
		call_rcu(&set_box_of(old)->rcu, set_free_rcu);
}

int txt_table_set(struct txt_table *t, const char *subdomain, const struct txt_item *items, size_t n)
{
	if (n > TXT_SET_MAX)
		return -1;
	struct txt_set_box *b = set_build(items, n);
	if (!b)
		return -1;
	table_grow(t);
	rcu_read_lock();
	struct txt_entry *e = label_entry_get(t, subdomain);
	if (e)
		entry_publish(e, b);
	rcu_read_unlock();
	if (!e)
		free(b);
	return e ? 0 : -1;
}

const struct txt_set *txt_table_lookup(struct txt_table *t, const uint8_t *label, size_t len)
{
	if (len == 0 || len > TXT_LABEL_MAX)
		return NULL;
	struct txt_entry *e = entry_find(t, label, len);
	return e ? rcu_dereference(e->set) : NULL;
}

/* ---- whole names ---- */

/* Adds delta to a name entry's count; an entry whose count drops to zero leaves the table. */
static void entry_ref(struct txt_table *t, struct txt_entry *e, int delta)
{
	e->refs = (uint32_t)((int64_t)e->refs + delta);
	if (e->refs > 0)
		return;
	cds_lfht_del(t->ht, &e->node);
	t->count--;
	call_rcu(&e->rcu, entry_free_rcu);
}

/* Counts one more name with values at name and at every name above it but the root, creating the entries
 * that are missing. Returns 0, or -1 with nothing changed when an entry cannot be allocated. */
static int name_hold(struct txt_table *t, const uint8_t *name, size_t len)
{
	const uint8_t *p;
	for (p = name; *p; p += 1 + *p) {
		struct txt_entry *e = entry_get(t, p, len - (size_t)(p - name));
		if (!e)
			break;
		e->refs++;
	}
	if (!*p)
		return 0;
	for (const uint8_t *q = name; q != p; q += 1 + *q)
		entry_ref(t, entry_find(t, q, len - (size_t)(q - name)), -1);
	return -1;
}

/* Undoes name_hold. */
static void name_release(struct txt_table *t, const uint8_t *name, size_t len)
{
	for (const uint8_t *p = name; *p; p += 1 + *p) {
		struct txt_entry *e = entry_find(t, p, len - (size_t)(p - name));
		if (e)
			entry_ref(t, e, -1);
	}
}

int txt_table_name_set(struct txt_table *t, const uint8_t *name, const struct txt_item *items, size_t n)
{
	uint8_t lname[WIRE_NAME_MAX];
	size_t len = wire_name_len(name);
	if (n > TXT_SET_MAX || len <= 1 || len > WIRE_NAME_MAX)
		return -1;
	wire_name_lower(lname, name);
	struct txt_set_box *b = set_build(items, n);
	if (!b)
		return -1;
	int rc = 0;
	table_grow(t);
	rcu_read_lock();
	struct txt_entry *e = entry_find(t, lname, len);
	if (n > 0 && !(e && e->has_values)) {
		rc = name_hold(t, lname, len);
		e = rc == 0 ? entry_find(t, lname, len) : NULL;
		if (e)
			e->has_values = true;
	}
	if (e) {
		entry_publish(e, b);
		b = NULL;
		if (n == 0 && e->has_values) {
			e->has_values = false;
			name_release(t, lname, len);     /* may take e out: readers still holding it see no values */
		}
	}
	rcu_read_unlock();
	free(b);
	return rc;
}

const struct txt_set *txt_table_name_lookup(struct txt_table *t, const uint8_t *name, size_t len)
{
	if (len <= 1 || len > WIRE_NAME_MAX)
		return NULL;
	struct txt_entry *e = entry_find(t, name, len);
	return e ? rcu_dereference(e->set) : NULL;
}

/* For the resync after a store reconnect, which must find entries whose values the store no longer holds. */
void txt_table_each(struct txt_table *t, void (*fn)(void *ctx, const uint8_t *key, size_t len,
						    const struct txt_set *set), void *ctx)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *node;
	rcu_read_lock();
	cds_lfht_for_each(t->ht, &it, node) {
		struct txt_entry *e = caa_container_of(node, struct txt_entry, node);
		fn(ctx, e->key, e->len, rcu_dereference(e->set));
	}
	rcu_read_unlock();
}
