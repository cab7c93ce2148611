/* Open connections counted per client address, so one address cannot take every connection a listener allows. */
#ifndef ADNS_CONNLIMIT_H
#define ADNS_CONNLIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* A counter table; not thread-safe: each listener thread has its own. */
struct connlimit;

/* Creates a table that allows max_per_client connections per exact address (IPv4, IPv4-mapped IPv6 as IPv4,
 * IPv6 /128), hashed with seed. Returns NULL when max_per_client is 0 (no limit: the functions below accept
 * NULL and allow everything) or on allocation failure. Free with connlimit_free. */
struct connlimit *connlimit_new(uint32_t max_per_client, uint64_t seed);
/* Counts a new connection from client. Returns true when it is allowed (and counted: connlimit_release it when
 * it closes); false when client already has max_per_client open, or no memory is left to count it. */
bool connlimit_acquire(struct connlimit *cl, const struct sockaddr *client);
/* Forgets one connection from client that connlimit_acquire counted. */
void connlimit_release(struct connlimit *cl, const struct sockaddr *client);
/* The connections counted for client now (0 for NULL cl). */
uint32_t connlimit_count(struct connlimit *cl, const struct sockaddr *client);
/* Frees the table. NULL is fine. */
void connlimit_free(struct connlimit *cl);

#endif
