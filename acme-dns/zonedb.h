/* The static zones: RFC 1035 master files read with ldns into immutable, lower-cased lookup tables. */
#ifndef ADNS_ZONEDB_H
#define ADNS_ZONEDB_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zonedb;
struct zone;
struct zone_node;

/* A read-only view of one RRset. rdata[i] points to a 2-byte big-endian length followed by the rdata,
 * with domain names uncompressed and in the case the zone file wrote them. */
struct zone_rrset {
	uint16_t type;
	uint16_t count;
	uint32_t ttl;
	const uint8_t **rdata;
};

/* Loads every *.zone file of cfg->zones_dir plus the challenge apex cfg->zone (from its file when one has that
 * origin, else synthesized from ns_name, admin and negative_ttl). A file that fails to load is logged with
 * FILE:LINE and, when old has a zone from that file, the old zone is kept. Returns NULL only when the
 * challenge apex itself cannot be built. */
struct zonedb *zonedb_load(const struct config *cfg, const struct zonedb *old);
/* Releases db (zones shared with another db stay alive for it). NULL is fine. */
void zonedb_free(struct zonedb *db);
/* Number of zones. */
size_t zonedb_count(const struct zonedb *db);
/* Number of zone files (or the zones directory) that failed to load, for `acme-dnsd -t`. */
size_t zonedb_errors(const struct zonedb *db);

/* The zone with the longest origin that name (lower-case wire) lies under, or NULL. */
const struct zone *zonedb_find(const struct zonedb *db, const uint8_t *lname, size_t len);

const uint8_t *zone_origin(const struct zone *z);        /* wire, case as written */
size_t zone_origin_len(const struct zone *z);
bool zone_is_challenge(const struct zone *z);            /* the apex that serves registered subdomains */
const struct zone_rrset *zone_soa(const struct zone *z);
/* Exact node for a lower-case wire name inside z, or NULL (empty non-terminals are nodes too). */
const struct zone_node *zone_find_node(const struct zone *z, const uint8_t *lname, size_t len);

const uint8_t *zone_node_owner(const struct zone_node *n);  /* wire, case as written */
const struct zone_rrset *zone_node_rrset(const struct zone_node *n, uint16_t type);
/* The node's i-th RRset, or NULL past the end. */
const struct zone_rrset *zone_node_rrset_at(const struct zone_node *n, unsigned i);
/* True for a delegation point: NS at a node that is not the apex. */
bool zone_node_is_delegation(const struct zone_node *n);

#endif
