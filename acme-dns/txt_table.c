/* Challenge TXT table: a liburcu lock-free hash table of subdomains, each pointing to an immutable value set. */
#include "txt_table.h"

#include <urcu.h>
#include <urcu/rculfhash.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define TXT_LABEL_MAX 63
#define TXT_SET_MAX   16

struct txt_entry {
	struct cds_lfht_node node;
	struct txt_set *set;          /* rcu pointer; never NULL once published */
	uint8_t len;
	char key[TXT_LABEL_MAX + 1];  /* lower case */
	struct rcu_head rcu;
};

struct txt_set_box {                  /* a set with the rcu head used to free it */
	struct rcu_head rcu;
	struct txt_set set;
};

struct txt_table {
	struct cds_lfht *ht;
	uint64_t seed;
	size_t count;
};

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
	for (size_t i = 0; i < k->len; i++)
		if ((char)tolower(k->label[i]) != e->key[i])
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
	t->ht = cds_lfht_new(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
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
		free(set_box_of(e->set));
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

static struct txt_set_box *set_build(const struct txt_item *items, size_t n)
{
	struct txt_set_box *b = calloc(1, sizeof(*b) + n * sizeof(struct txt_value));
	if (!b)
		return NULL;
	b->set.n = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(items[i].value);
		if (len > 255) {
			free(b);
			return NULL;
		}
		struct txt_value *v = &b->set.v[i];
		v->created = items[i].created;
		v->rdlen = (uint8_t)len;
		v->rdata[0] = (uint8_t)len;
		memcpy(v->rdata + 1, items[i].value, len);
	}
	return b;
}

static void set_free_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, struct txt_set_box, rcu));
}

/* Finds or inserts the entry for subdomain; the caller holds the writers' lock and rcu_read_lock. */
static struct txt_entry *entry_get(struct txt_table *t, const char *subdomain, int *created)
{
	size_t len = strlen(subdomain);
	if (!label_ok(subdomain, len))
		return NULL;
	struct txt_key k = { (const uint8_t *)subdomain, len };
	uint64_t h = txt_hash(t, k.label, len);
	struct cds_lfht_iter it;
	cds_lfht_lookup(t->ht, h, txt_match, &k, &it);
	struct cds_lfht_node *node = cds_lfht_iter_get_node(&it);
	*created = 0;
	if (node)
		return caa_container_of(node, struct txt_entry, node);

	struct txt_entry *e = calloc(1, sizeof(*e));
	struct txt_set_box *empty = set_build(NULL, 0);
	if (!e || !empty) {
		free(e);
		free(empty);
		return NULL;
	}
	e->len = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		e->key[i] = (char)tolower((unsigned char)subdomain[i]);
	e->set = &empty->set;
	cds_lfht_node_init(&e->node);
	cds_lfht_add(t->ht, h, &e->node);
	t->count++;
	*created = 1;
	return e;
}

int txt_table_register(struct txt_table *t, const char *subdomain)
{
	int created;
	rcu_read_lock();
	struct txt_entry *e = entry_get(t, subdomain, &created);
	rcu_read_unlock();
	return e ? 0 : -1;
}

int txt_table_set(struct txt_table *t, const char *subdomain, const struct txt_item *items, size_t n)
{
	if (n > TXT_SET_MAX)
		return -1;
	struct txt_set_box *b = set_build(items, n);
	if (!b)
		return -1;
	int created;
	rcu_read_lock();
	struct txt_entry *e = entry_get(t, subdomain, &created);
	if (!e) {
		rcu_read_unlock();
		free(b);
		return -1;
	}
	struct txt_set *old = rcu_xchg_pointer(&e->set, &b->set);
	rcu_read_unlock();
	call_rcu(&set_box_of(old)->rcu, set_free_rcu);
	return 0;
}

const struct txt_set *txt_table_lookup(struct txt_table *t, const uint8_t *label, size_t len)
{
	if (len == 0 || len > TXT_LABEL_MAX)
		return NULL;
	struct txt_key k = { label, len };
	struct cds_lfht_iter it;
	cds_lfht_lookup(t->ht, txt_hash(t, label, len), txt_match, &k, &it);
	struct cds_lfht_node *node = cds_lfht_iter_get_node(&it);
	if (!node)
		return NULL;
	struct txt_entry *e = caa_container_of(node, struct txt_entry, node);
	return rcu_dereference(e->set);
}
