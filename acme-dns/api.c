/* The HTTP API on libevent's evhttp, answering as joohoi/acme-dns does: routes, auth, limits, TLS. */
#include "api.h"
#include "api_validate.h"
#include "connlimit.h"
#include "log.h"
#include "password.h"
#include "publish.h"
#include "secretfile.h"
#include "ratelimit.h"

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define AUTH_WAYS      8
#define AUTH_SETS      512          /* 4096 remembered credentials */
#define RATE_SLOTS     4096
#define PATH_MAX_LEN   64           /* every route is shorter; longer paths are unknown */
#define BODY_HARD_MULT 4            /* evhttp itself cuts bodies beyond this many times max_body */
#define LISTEN_BACKLOG 511
#define MAC_LEN        32

/* One accepted connection. It is "pending" until the accept callback has returned and evhttp's
 * connection object can be read from the bufferevent; then it is "adopted" and followed to its close. */
struct api_conn {
	struct api *api;
	struct bufferevent *bev;
	struct evhttp_connection *evcon;     /* NULL while pending */
	struct event *deadline;              /* a complete request must arrive within api_timeout */
	struct evbuffer_cb_entry *out_cb;    /* notices each reply, to re-arm the deadline */
	bool refuse;                         /* over max_connections, or no TLS state: close at adoption */
	bool busy;                           /* over max_connections_per_client: 503 (plain HTTP), then close */
	bool counted;                        /* in per_client under peer */
	struct sockaddr_storage peer;
	struct api_conn *prev, *next;
};

/* A credential that passed bcrypt: HMAC(secret, bcrypt hash || 0 || key) for the username. */
struct auth_entry {
	char user[API_UUID_LEN + 1];
	uint8_t mac[MAC_LEN];
	uint64_t used;
};

struct api {
	struct event_base *base;
	const struct config *cfg;
	struct store *store;
	struct txt_table *txt;
	pthread_mutex_t *write_lock;
	struct evhttp *http;
	struct evconnlistener *listener;
	SSL_CTX *tls;                        /* NULL = plain HTTP; new connections take the current one */
	struct event *adopt_ev;
	struct api_conn *pending, *conns;
	size_t n_conns;                      /* pending + adopted */
	bool paused, closing;
	time_t paused_logged;
	struct ratelimit *rate;              /* NULL = registrations unlimited */
	struct connlimit *per_client;        /* open connections per client address; NULL = no limit */
	unsigned long busy_refused;          /* connections refused by it since the last log line */
	time_t busy_logged;
	struct event *flush_ev;              /* commits the updates queued in this turn of the event loop */
	struct queued_update *queue;         /* API_BATCH_MAX of them */
	size_t n_queued;
	uint8_t secret[MAC_LEN];
	uint64_t auth_seed, auth_tick;
	struct auth_entry auth[AUTH_SETS * AUTH_WAYS];
};

/* An update whose 200 waits for the commit it shares with the others of its turn of the event loop. */
#define API_BATCH_MAX 64
struct queued_update {
	struct evhttp_request *req;          /* NULL once its connection closed: committed, not answered */
	struct evhttp_connection *evcon;
	enum evhttp_cmd_type method;
	char path[64];
	char client_text[2 * INET6_ADDRSTRLEN + 16];
	char sub[STORE_NAME_MAX];
	char txt[STORE_VALUE_MAX + 1];
};

/* What one request is about, for the handlers and the log line. */
struct reqctx {
	struct api *api;
	struct evhttp_request *req;
	enum evhttp_cmd_type method;
	char path[PATH_MAX_LEN];
	struct sockaddr_storage peer, client;
	const struct sockaddr *client_sa;    /* NULL when a trusted proxy sent garbage: matches no allowfrom */
	const struct sockaddr *limit_sa;     /* the address registrations are counted against */
	char client_text[2 * INET6_ADDRSTRLEN + 16];
};

typedef void (*handler_fn)(struct reqctx *rc);

struct route {
	const char *path;
	int methods;                         /* EVHTTP_REQ_* mask */
	const char *allow;
	handler_fn handler;
};

/* ---- replies ---- */

static const char *method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "?";
}

/* libevent 2.1 has no phrase for some codes (429 would read "Client Error"). */
static const char *status_text(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Response bodies can hold a new key: wipe them once the socket has taken them. */
static void wipe_free(const void *data, size_t len, void *extra)
{
	OPENSSL_cleanse((void *)data, len);
	free((void *)data);
}

/* Serialises body into buf as the reference of a wiped-on-free copy. Returns 0 or -1. */
static int body_to_buffer(json_t *body, struct evbuffer *buf)
{
	size_t n = json_dumpb(body, NULL, 0, JSON_COMPACT);
	char *text = n ? malloc(n) : NULL;
	if (!text)
		return -1;
	if (json_dumpb(body, text, n, JSON_COMPACT) != n || evbuffer_add_reference(buf, text, n, wipe_free, NULL) < 0) {
		wipe_free(text, n, NULL);
		return -1;
	}
	return 0;
}

/* Sends code with body (stolen; NULL = no body) and logs the request at debug. */
static void reply(struct reqctx *rc, int code, json_t *body)
{
	struct evbuffer *buf = evbuffer_new();
	if (body && buf) {
		if (body_to_buffer(body, buf) == 0) {
			evhttp_add_header(evhttp_request_get_output_headers(rc->req), "Content-Type", "application/json");
		} else {
			code = 500;
			log_error("api: %s %s: cannot serialise the answer", method_name(rc->method), rc->path);
		}
	}
	json_decref(body);
	evhttp_send_reply(rc->req, code, status_text(code), buf);
	if (buf)
		evbuffer_free(buf);
	log_debug("api: %s %s from %s: %d", method_name(rc->method), rc->path, rc->client_text, code);
}

/* Like reply, for an answer that must have a body: NULL (out of memory building it) becomes a bare 500. */
static void reply_json(struct reqctx *rc, int code, json_t *body)
{
	if (!body)
		log_error("api: %s %s: out of memory building the answer", method_name(rc->method), rc->path);
	reply(rc, body ? code : 500, body);
}

static void reply_error(struct reqctx *rc, int code, const char *error)
{
	reply_json(rc, code, json_pack("{s:s}", "error", error));
}

/* ---- connections: count, limit, deadline ---- */

static void list_push(struct api_conn **head, struct api_conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
}

static void list_remove(struct api_conn **head, struct api_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* Drops c from the count, accepting again when below the limit. */
static void conn_forget(struct api_conn *c)
{
	struct api *api = c->api;
	api->n_conns--;
	if (api->paused && !api->closing && api->n_conns < api->cfg->max_connections) {
		evconnlistener_enable(api->listener);
		api->paused = false;
		log_debug("api: below %u connections again: accepting", api->cfg->max_connections);
	}
	free(c);
}

/* evhttp is freeing the connection: the bufferevent is still valid here. */
static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	struct api_conn *c = arg;
	for (size_t i = 0; i < c->api->n_queued; i++)   /* libevent frees their requests with the connection */
		if (c->api->queue[i].evcon == evcon)
			c->api->queue[i].req = NULL;
	if (c->out_cb)
		evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cb);
	if (c->deadline)
		event_free(c->deadline);
	list_remove(&c->api->conns, c);
	if (c->counted)
		connlimit_release(c->api->per_client, (const struct sockaddr *)&c->peer);
	conn_forget(c);
}

static void deadline_arm(struct api_conn *c)
{
	struct timeval tv = { .tv_sec = (time_t)c->api->cfg->api_timeout, .tv_usec = 0 };
	evtimer_add(c->deadline, &tv);
}

/* libevent's timeout is per read; this one bounds the whole request, so a trickling client cannot hold
 * one of the max_connections slots for long. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct api_conn *c = arg;
	log_debug("api: connection closed: no complete request within %u s", c->api->cfg->api_timeout);
	evhttp_connection_free(c->evcon);    /* calls on_conn_close, which frees c */
}

/* Something was queued for the client: a reply. The next request gets a fresh deadline. */
static void on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	if (info->n_added > 0)
		deadline_arm(arg);
}

/* Counts the connection against its address's max_connections_per_client. Returns false when over it. Trusted
 * proxies are not counted: one proxy carries the connections of many clients. An address that cannot be read
 * is let through (max_connections still holds). */
static bool conn_admit_client(struct api *api, struct api_conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	socklen_t len = sizeof(c->peer);
	const struct sockaddr *sa = (const struct sockaddr *)&c->peer;
	if (!api->per_client || fd < 0 || getpeername(fd, (struct sockaddr *)&c->peer, &len) < 0 ||
	    cidr_list_contains(api->cfg->trusted_proxies, api->cfg->n_trusted_proxies, sa))
		return true;
	c->counted = connlimit_acquire(api->per_client, sa);
	if (c->counted)
		return true;
	api->busy_refused++;
	time_t now = time(NULL);
	if (now - api->busy_logged >= 60) {   /* a flood must not flood the log as well */
		char who[INET6_ADDRSTRLEN];
		netaddr_format_ip(sa, who, sizeof(who));
		log_warn("api: %lu connection(s) refused: over %u open from one address (last %s)", api->busy_refused,
			 api->cfg->api_max_conns_per_client, who);
		api->busy_refused = 0;
		api->busy_logged = now;
	}
	return false;
}

/* evhttp has no way to answer a connection that has sent no request yet, so the 503 is written to the socket
 * itself, before evhttp has written anything to it. Over TLS there is no session yet: the client is only closed. */
static void conn_send_busy(const struct api *api, struct api_conn *c)
{
#define BUSY_BODY "{\"error\":\"too_many_connections\"}"
	_Static_assert(sizeof(BUSY_BODY) - 1 == 32, "Content-Length below");
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
				   "Content-Length: 32\r\nConnection: close\r\n\r\n" BUSY_BODY;
#undef BUSY_BODY
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	if (!api->tls && fd >= 0 && send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("api: cannot send 503 to a refused connection: %s", strerror(errno));
}

/* Runs after the accept callback: ties each new connection to its evhttp connection. */
static void on_adopt(evutil_socket_t fd, short what, void *arg)
{
	struct api *api = arg;
	struct api_conn *c;
	while ((c = api->pending) != NULL) {
		void *evcon = NULL;
		list_remove(&api->pending, c);
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
		if (!evcon) {                    /* evhttp gave it up already; our reference kept bev readable */
			bufferevent_decref(c->bev);
			conn_forget(c);
			continue;
		}
		c->evcon = evcon;
		list_push(&api->conns, c);
		evhttp_connection_set_closecb(c->evcon, on_conn_close, c);
		c->deadline = evtimer_new(api->base, on_deadline, c);
		c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->bev), on_output, c);
		bufferevent_decref(c->bev);
		if (!c->refuse && !conn_admit_client(api, c))
			c->refuse = c->busy = true;
		if (c->busy)
			conn_send_busy(api, c);
		if (c->refuse || !c->deadline || !c->out_cb)
			evhttp_connection_free(c->evcon);
		else
			deadline_arm(c);
	}
}

static struct bufferevent *conn_bev_new(struct api *api, bool *refuse)
{
	if (!api->tls)
		return bufferevent_socket_new(api->base, -1, BEV_OPT_CLOSE_ON_FREE);
	SSL *ssl = SSL_new(api->tls);
	struct bufferevent *bev = ssl ? bufferevent_openssl_socket_new(api->base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
								       BEV_OPT_CLOSE_ON_FREE) : NULL;
	if (bev) {
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
		return bev;
	}
	/* Never let evhttp fall back to its own plain bufferevent on a TLS port: take one and close it. */
	log_warn("api: cannot set up TLS for a new connection (out of memory)");
	*refuse = true;
	return bufferevent_socket_new(api->base, -1, BEV_OPT_CLOSE_ON_FREE);
}

/* evhttp's accept hook: the only moment a connection can be counted before it sends anything. */
static struct bufferevent *on_accept_bev(struct event_base *base, void *arg)
{
	struct api *api = arg;
	struct api_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		log_error("api: out of memory accepting a connection");
		return NULL;
	}
	c->api = api;
	c->bev = conn_bev_new(api, &c->refuse);
	if (!c->bev) {
		free(c);
		return NULL;
	}
	bufferevent_incref(c->bev);
	list_push(&api->pending, c);
	api->n_conns++;
	if (api->n_conns > api->cfg->max_connections)
		c->refuse = true;
	if (!api->paused && api->n_conns >= api->cfg->max_connections) {
		evconnlistener_disable(api->listener);
		api->paused = true;
		time_t now = time(NULL);
		if (now - api->paused_logged >= 60) {   /* a flood must not flood the log as well */
			log_warn("api: %u connections open: not accepting more until one closes", api->cfg->max_connections);
			api->paused_logged = now;
		}
	}
	event_active(api->adopt_ev, EV_TIMEOUT, 0);
	return c->bev;
}

/* ---- the client address ---- */

/* Collects the proxy header's instances in arrival order. */
static size_t proxy_values(struct reqctx *rc, const char **values)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(rc->req);
	struct evkeyval *kv;
	size_t n = 0;
	if (!rc->api->cfg->proxy_header)
		return 0;
	TAILQ_FOREACH(kv, h, next) {
		if (n < API_PROXY_VALUES && strcasecmp(kv->key, rc->api->cfg->proxy_header) == 0)
			values[n++] = kv->value;
	}
	return n;
}

static void request_client(struct reqctx *rc)
{
	const struct config *cfg = rc->api->cfg;
	struct evhttp_connection *evcon = evhttp_request_get_connection(rc->req);
	evutil_socket_t fd = evcon ? bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)) : -1;
	socklen_t plen = sizeof(rc->peer);
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&rc->peer, &plen) < 0)
		memset(&rc->peer, 0, sizeof(rc->peer));
	const char *values[API_PROXY_VALUES];
	size_t n = cfg->n_trusted_proxies ? proxy_values(rc, values) : 0;
	enum api_client_source src = api_client_address((const struct sockaddr *)&rc->peer, values, n,
							cfg->trusted_proxies, cfg->n_trusted_proxies, &rc->client);
	char peer_text[INET6_ADDRSTRLEN];
	netaddr_format_ip((const struct sockaddr *)&rc->peer, peer_text, sizeof(peer_text));
	rc->client_sa = src == API_CLIENT_UNKNOWN || rc->client.ss_family == AF_UNSPEC ?
				NULL : (const struct sockaddr *)&rc->client;
	rc->limit_sa = rc->client_sa ? rc->client_sa : (const struct sockaddr *)&rc->peer;
	if (src == API_CLIENT_UNKNOWN) {
		snprintf(rc->client_text, sizeof(rc->client_text), "unknown (via %s)", peer_text);
		log_warn("api: trusted proxy %s sent an unparsable %s entry: client address unknown", peer_text,
			 cfg->proxy_header);
	} else if (src == API_CLIENT_FORWARDED) {
		char c[INET6_ADDRSTRLEN];
		netaddr_format_ip(rc->client_sa, c, sizeof(c));
		snprintf(rc->client_text, sizeof(rc->client_text), "%s (via %s)", c, peer_text);
	} else {
		snprintf(rc->client_text, sizeof(rc->client_text), "%s", peer_text);
	}
}

/* ---- authentication ---- */

static uint64_t name_hash(const char *s, uint64_t seed)
{
	uint64_t h = seed ^ 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 31;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 29);
}

/* Binds the key to the stored hash, so a changed hash invalidates what was remembered. */
static int auth_mac(const struct api *api, const char *hash, const char *key, uint8_t mac[MAC_LEN])
{
	unsigned char msg[STORE_HASH_MAX + API_KEY_LEN + 2];
	size_t hl = strnlen(hash, STORE_HASH_MAX - 1), kl = strnlen(key, API_KEY_LEN);
	unsigned int len = MAC_LEN;
	memcpy(msg, hash, hl);
	msg[hl] = 0;
	memcpy(msg + hl + 1, key, kl);
	bool ok = HMAC(EVP_sha256(), api->secret, (int)sizeof(api->secret), msg, hl + 1 + kl, mac, &len) && len == MAC_LEN;
	OPENSSL_cleanse(msg, sizeof(msg));
	return ok ? 0 : -1;
}

static struct auth_entry *auth_set(struct api *api, const char *user)
{
	return &api->auth[(name_hash(user, api->auth_seed) % AUTH_SETS) * AUTH_WAYS];
}

/* True when user's key was verified by bcrypt before against this same hash. */
static bool auth_cached(struct api *api, const char *user, const char *hash, const char *key)
{
	struct auth_entry *set = auth_set(api, user);
	for (size_t i = 0; i < AUTH_WAYS; i++) {
		if (strcmp(set[i].user, user) != 0)
			continue;
		uint8_t mac[MAC_LEN];
		bool ok = auth_mac(api, hash, key, mac) == 0 && CRYPTO_memcmp(mac, set[i].mac, MAC_LEN) == 0;
		OPENSSL_cleanse(mac, sizeof(mac));
		if (ok)
			set[i].used = ++api->auth_tick;
		return ok;
	}
	return false;
}

/* Remembers a verified credential in its set, replacing the entry used least recently. */
static void auth_remember(struct api *api, const char *user, const char *hash, const char *key)
{
	struct auth_entry *set = auth_set(api, user), *e = &set[0];
	for (size_t i = 0; i < AUTH_WAYS; i++) {
		if (strcmp(set[i].user, user) == 0 || !set[i].user[0]) {
			e = &set[i];
			break;
		}
		if (set[i].used < e->used)
			e = &set[i];
	}
	if (auth_mac(api, hash, key, e->mac) < 0) {
		OPENSSL_cleanse(e, sizeof(*e));
		return;
	}
	snprintf(e->user, sizeof(e->user), "%s", user);
	e->used = ++api->auth_tick;
}

static bool key_matches(struct api *api, const char *user, const char *hash, const char *key)
{
	if (auth_cached(api, user, hash, key))
		return true;
	if (!password_verify(key, hash))     /* a wrong key always pays the full bcrypt */
		return false;
	auth_remember(api, user, hash, key);
	return true;
}

/* Reads the credential headers: canonical username and key. Returns 0, or -1 when malformed. */
static int read_credentials(struct reqctx *rc, char *user, size_t userlen, char *key, size_t keylen)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(rc->req);
	char raw[64];
	if (api_trim_copy(evhttp_find_header(h, "X-Api-User"), raw, sizeof(raw)) < 0 ||
	    api_uuid_canonical(raw, user, userlen) < 0)
		return -1;
	if (api_trim_copy(evhttp_find_header(h, "X-Api-Key"), key, keylen) < 0 || !api_valid_key(key))
		return -1;
	return 0;
}

static int deny(struct reqctx *rc, const char *user, const char *why)
{
	log_info("api: %s %s from %s: forbidden (%s%s%s)", method_name(rc->method), rc->path, rc->client_text, why,
		 user ? ", user " : "", user ? user : "");
	reply_error(rc, 401, "forbidden");
	return -1;
}

/* The store failed: 503 while it cannot be reached at all (a PostgreSQL store while disconnected: try again, the
 * DNS keeps serving), else 500 as acme-dns answers. */
static void reply_store_failed(struct reqctx *rc, int err)
{
	if (err == STORE_UNAVAILABLE)
		reply_error(rc, 503, "store_unavailable");
	else
		reply_error(rc, 500, "db_error");
}

/* Checks X-Api-User / X-Api-Key and the account's allowfrom, as acme-dns does. On success acct is filled
 * (store_account_clear it) and 0 returned; otherwise the answer has been sent and -1 is returned. */
static int authenticate(struct reqctx *rc, struct store_account *acct)
{
	char user[API_UUID_LEN + 1], key[API_KEY_LEN + 1];
	memset(acct, 0, sizeof(*acct));
	if (read_credentials(rc, user, sizeof(user), key, sizeof(key)) < 0) {
		OPENSSL_cleanse(key, sizeof(key));
		return deny(rc, NULL, "malformed credentials");
	}
	int found = store_account_get(rc->api->store, user, acct);
	bool ok = found == 0 && key_matches(rc->api, user, acct->password_hash, key);
	if (found == 1)
		password_verify(key, NULL);      /* an unknown user costs what a known one does */
	OPENSSL_cleanse(key, sizeof(key));
	if (found < 0) {
		log_error("api: %s %s: store %s reading user %s", method_name(rc->method), rc->path,
			  found == STORE_UNAVAILABLE ? "unavailable" : "error", user);
		reply_store_failed(rc, found);
		return -1;
	}
	if (!ok) {
		store_account_clear(acct);
		return deny(rc, user, found == 1 ? "no such user" : "wrong key");
	}
	if (!api_allowfrom_permits(acct->allowfrom_json, rc->client_sa)) {
		store_account_clear(acct);
		return deny(rc, user, "address not in allowfrom");
	}
	return 0;
}

/* ---- publishing values ---- */

static size_t values_kept(const struct config *cfg)
{
	return cfg->values_kept < CONFIG_MAX_VALUES ? cfg->values_kept : CONFIG_MAX_VALUES;
}

/* Stores (or removes) the value durably, then republishes, all under the write lock: the DNS answers
 * with the new set before the client hears 200. Returns the number removed / 0 added, or -1. */
static int value_apply(struct api *api, const char *sub, const char *txt, bool remove)
{
	pthread_mutex_lock(api->write_lock);
	int rc = remove ? store_value_remove(api->store, sub, txt) : store_value_add(api->store, sub, txt, time(NULL), NULL);
	if (rc > 0 || (rc == 0 && !remove))
		rc = publish_subdomain(api->store, api->txt, api->cfg->values_kept, sub) < 0 ? -1 : rc;
	pthread_mutex_unlock(api->write_lock);
	return rc;
}

/* Commits every queued update in one store transaction, publishes the subdomains it touched, then answers each
 * request still connected: updates that arrive together cost one durable commit, not one each. */
static void queue_flush(struct api *api)
{
	size_t n = api->n_queued;
	struct store_change changes[API_BATCH_MAX];
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		changes[i] = (struct store_change){ .op = STORE_ADD, .target = STORE_SUBDOMAIN,
						    .key = api->queue[i].sub, .value = api->queue[i].txt };
	pthread_mutex_lock(api->write_lock);
	int rc = store_apply(api->store, changes, n, time(NULL));
	for (size_t i = 0; rc == 0 && i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(api->queue[j].sub, api->queue[i].sub) == 0;
		if (!seen && publish_subdomain(api->store, api->txt, api->cfg->values_kept, api->queue[i].sub) < 0)
			rc = -1;
	}
	pthread_mutex_unlock(api->write_lock);
	api->n_queued = 0;                   /* replies may run callbacks: the queue is free again before them */
	if (n > 1)
		log_debug("api: %zu updates in one commit", n);
	for (size_t i = 0; i < n; i++) {
		struct queued_update *q = &api->queue[i];
		struct reqctx r = { .api = api, .req = q->req, .method = q->method };
		snprintf(r.path, sizeof(r.path), "%s", q->path);
		snprintf(r.client_text, sizeof(r.client_text), "%s", q->client_text);
		if (rc < 0)
			log_error("api: subdomain %s: adding a value failed in the store%s", q->sub,
				  rc == STORE_UNAVAILABLE ? " (unavailable)" : "");
		else
			log_info("api: subdomain %s: TXT value set from %s", q->sub, q->client_text);
		if (!q->req)
			continue;
		if (rc < 0)
			reply_store_failed(&r, rc);
		else
			reply_json(&r, 200, json_pack("{s:s}", "txt", q->txt));
	}
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	queue_flush(arg);
}

/* Queues an added value for the commit at the end of this turn of the event loop (the other requests already
 * read in this turn run first and join it). */
static void update_queue(struct reqctx *rc, const char *sub, const char *txt)
{
	struct api *api = rc->api;
	if (api->n_queued == API_BATCH_MAX)
		queue_flush(api);
	struct queued_update *q = &api->queue[api->n_queued++];
	*q = (struct queued_update){ .req = rc->req, .evcon = evhttp_request_get_connection(rc->req),
				     .method = rc->method };
	snprintf(q->path, sizeof(q->path), "%s", rc->path);
	snprintf(q->client_text, sizeof(q->client_text), "%s", rc->client_text);
	snprintf(q->sub, sizeof(q->sub), "%s", sub);
	snprintf(q->txt, sizeof(q->txt), "%s", txt);
	if (api->n_queued == 1)
		event_active(api->flush_ev, EV_TIMEOUT, 1);
}

static void update_apply(struct reqctx *rc, const char *sub, const char *txt, bool remove)
{
	if (!remove) {
		update_queue(rc, sub, txt);
		return;
	}
	int n = value_apply(rc->api, sub, txt, true);
	if (n < 0) {
		log_error("api: subdomain %s: removing a value failed in the store%s", sub,
			  n == STORE_UNAVAILABLE ? " (unavailable)" : "");
		reply_store_failed(rc, n);
	} else if (n == 0) {
		reply_error(rc, 404, "not_found");
	} else {
		log_info("api: subdomain %s: TXT value removed from %s", sub, rc->client_text);
		reply_json(rc, 200, json_pack("{s:s}", "txt", txt));
	}
}

/* ---- handlers ---- */

static const char *body_of(struct reqctx *rc, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(rc->req);
	*len = evbuffer_get_length(in);
	return *len ? (const char *)evbuffer_pullup(in, -1) : "";
}

/* POST /update sets a value, DELETE /update (extension) removes one. Checks in acme-dns's order:
 * credentials, allowfrom, body, ownership of the subdomain, then the value. */
static void handle_update(struct reqctx *rc)
{
	struct store_account acct;
	if (authenticate(rc, &acct) < 0)
		return;
	char sub[STORE_NAME_MAX], txt[STORE_VALUE_MAX + 1];
	size_t len;
	const char *body = body_of(rc, &len);
	if (!body || api_parse_update(body, len, sub, sizeof(sub), txt, sizeof(txt)) != API_BODY_OK) {
		reply_error(rc, 400, "malformed_json_payload");
	} else if (!api_same_subdomain(sub, acct.subdomain)) {
		/* acme-dns answers a foreign or missing subdomain with 401 forbidden, not 400. */
		deny(rc, acct.username, api_valid_subdomain(sub) ? "another account's subdomain" : "no valid subdomain");
	} else if (!api_valid_subdomain(acct.subdomain)) {
		reply_error(rc, 400, "bad_subdomain");
	} else if (!api_valid_txt(txt)) {
		reply_error(rc, 400, "bad_txt");
	} else {
		update_apply(rc, acct.subdomain, txt, rc->method == EVHTTP_REQ_DELETE);
	}
	store_account_clear(&acct);
}

static json_t *values_json(const struct config *cfg, const char *sub, const struct store_value *v, int n)
{
	json_t *list = json_array();
	for (int i = 0; list && i < n; i++)
		json_array_append_new(list, json_pack("{s:s,s:I}", "value", v[i].value, "created", (json_int_t)v[i].created));
	char full[STORE_NAME_MAX + 256];
	snprintf(full, sizeof(full), "%s.%s", sub, cfg->zone);
	return json_pack("{s:s,s:s,s:o}", "subdomain", sub, "fulldomain", full, "txt", list);
}

/* GET /values (extension): the stored values of the caller's subdomain, newest first. */
static void handle_values(struct reqctx *rc)
{
	struct store_account acct;
	if (authenticate(rc, &acct) < 0)
		return;
	struct evkeyvalq params;
	TAILQ_INIT(&params);
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(rc->req));
	const char *want = NULL;
	struct store_value vals[CONFIG_MAX_VALUES];
	int n;
	if (query && evhttp_parse_query_str(query, &params) < 0) {
		reply_error(rc, 400, "malformed_query");
	} else if ((want = evhttp_find_header(&params, "subdomain")) && !api_same_subdomain(want, acct.subdomain)) {
		deny(rc, acct.username, "another account's subdomain");
	} else if ((n = store_values_get(rc->api->store, acct.subdomain, vals, values_kept(rc->api->cfg))) < 0) {
		reply_store_failed(rc, n);
	} else {
		reply_json(rc, 200, values_json(rc->api->cfg, acct.subdomain, vals, n));
	}
	evhttp_clear_headers(&params);
	store_account_clear(&acct);
}

/* A new account's credentials; key is secret and wiped after the answer. */
struct new_account {
	char user[API_UUID_LEN + 1];
	char sub[API_UUID_LEN + 1];
	char key[PASSWORD_KEY_LEN + 1];
	char hash[STORE_HASH_MAX];
};

/* Creates the account durably and registers its subdomain for DNS. Returns 0, -1 or STORE_UNAVAILABLE. */
static int account_create(struct api *api, const char *allowfrom_json, struct new_account *na)
{
	if (password_new_key(na->key, sizeof(na->key)) < 0 || password_hash(na->key, na->hash, sizeof(na->hash)) < 0)
		return -1;
	for (int attempt = 0; attempt < 3; attempt++) {   /* a UUID collision is all but impossible: retry anyway */
		if (password_uuid(na->user, sizeof(na->user)) < 0 || password_uuid(na->sub, sizeof(na->sub)) < 0)
			return -1;
		struct store_account a = { .allowfrom_json = (char *)allowfrom_json, .created = time(NULL) };
		snprintf(a.username, sizeof(a.username), "%s", na->user);
		snprintf(a.password_hash, sizeof(a.password_hash), "%s", na->hash);
		snprintf(a.subdomain, sizeof(a.subdomain), "%s", na->sub);
		pthread_mutex_lock(api->write_lock);
		int rc = store_account_create(api->store, &a);
		if (rc == 0 && txt_table_register(api->txt, na->sub) < 0)
			log_warn("api: subdomain %s: stored but not yet served (its first update will)", na->sub);
		pthread_mutex_unlock(api->write_lock);
		if (rc != 1)
			return rc;
	}
	return -1;
}

static json_t *account_json(const struct config *cfg, const struct new_account *na, json_t *allowfrom)
{
	char full[STORE_NAME_MAX + 256];
	snprintf(full, sizeof(full), "%s.%s", na->sub, cfg->zone);
	return json_pack("{s:s,s:s,s:s,s:s,s:O}", "username", na->user, "password", na->key, "fulldomain", full,
			 "subdomain", na->sub, "allowfrom", allowfrom);
}

/* Wipes jansson's copy of the key before the object goes. */
static void account_json_wipe(json_t *obj)
{
	json_t *pw = json_object_get(obj, "password");
	if (json_is_string(pw))
		OPENSSL_cleanse((char *)json_string_value(pw), json_string_length(pw));
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool register_allowed(struct reqctx *rc)
{
	uint32_t retry = 0;
	if (ratelimit_take(rc->api->rate, rc->limit_sa, monotonic_ms(), &retry))
		return true;
	char secs[16];
	snprintf(secs, sizeof(secs), "%u", retry);
	evhttp_add_header(evhttp_request_get_output_headers(rc->req), "Retry-After", secs);
	log_info("api: registration from %s refused: over %u per minute", rc->client_text, rc->api->cfg->register_rate);
	reply_error(rc, 429, "rate_limited");
	return false;
}

/* POST /register: optional {"allowfrom": [...]}; answers 201 with the new credentials. */
static void handle_register(struct reqctx *rc)
{
	if (!register_allowed(rc))
		return;
	size_t len;
	const char *body = body_of(rc, &len);
	json_t *allowfrom = NULL;
	enum api_body_status st = body ? api_parse_register(body, len, &allowfrom) : API_BODY_MALFORMED;
	if (st != API_BODY_OK) {
		reply_error(rc, 400, st == API_BODY_BAD_CIDR ? "invalid_allowfrom_cidr" : "malformed_json_payload");
		return;
	}
	struct new_account na = { 0 };
	char *allow_text = json_dumps(allowfrom, JSON_COMPACT);
	int created = allow_text ? account_create(rc->api, allow_text, &na) : -1;
	if (created < 0) {
		log_error("api: registration from %s failed in the store%s", rc->client_text,
			  created == STORE_UNAVAILABLE ? " (unavailable)" : "");
		reply_store_failed(rc, created);
	} else {
		log_info("api: registered user %s, subdomain %s (allowfrom %s) from %s", na.user, na.sub, allow_text,
			 rc->client_text);
		json_t *body_out = account_json(rc->api->cfg, &na, allowfrom);
		json_incref(body_out);
		reply_json(rc, 201, body_out);
		account_json_wipe(body_out);
		json_decref(body_out);
	}
	free(allow_text);
	json_decref(allowfrom);
	OPENSSL_cleanse(&na, sizeof(na));
}

/* GET /health: 200 with no body (as acme-dns) when the store answers, 503 otherwise. */
static void handle_health(struct reqctx *rc)
{
	if (store_ping(rc->api->store) == 0)
		reply(rc, 200, NULL);
	else
		reply_error(rc, 503, "store_unavailable");
}

/* ---- routing ---- */

static const struct route routes[] = {
	{ "/register", EVHTTP_REQ_POST, "POST, OPTIONS", handle_register },
	{ "/update", EVHTTP_REQ_POST | EVHTTP_REQ_DELETE, "POST, DELETE, OPTIONS", handle_update },
	{ "/health", EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "GET, HEAD, OPTIONS", handle_health },
	{ "/values", EVHTTP_REQ_GET, "GET, OPTIONS", handle_values },
};

/* The path of the request target: origin form up to '?' or '#' (read raw: a URI parser takes "//update" for
 * an authority), else the path of an absolute URI. */
static const char *target_path(struct evhttp_request *req, size_t *len)
{
	const char *raw = evhttp_request_get_uri(req);
	if (!raw || raw[0] != '/') {
		const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
		raw = uri ? evhttp_uri_get_path(uri) : NULL;
		raw = raw ? raw : "";
	}
	*len = strcspn(raw, "?#");
	return raw;
}

/* Collapses repeated slashes and drops a trailing one, so "//update/" from a base URL with a trailing slash
 * still reaches /update. Returns 0, or -1 when the path is too long to be a route. */
static int path_normalize(const char *in, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	out[o++] = '/';
	for (const char *p = in; p < in + len; p++) {
		if (*p == '/' && out[o - 1] == '/')
			continue;
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (*p > ' ' && *p < 0x7f && *p != '"' && *p != '\\') ? *p : '?';   /* it goes into logs */
	}
	if (o > 1 && out[o - 1] == '/')
		o--;
	out[o] = '\0';
	return 0;
}

static const struct route *route_find(const struct api *api, const char *path)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcasecmp(routes[i].path, path) != 0)
			continue;
		/* acme-dns does not bind /register at all when registration is disabled. */
		if (routes[i].handler == handle_register && !api->cfg->registration)
			return NULL;
		return &routes[i];
	}
	return NULL;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct reqctx rc = { .api = arg, .req = req, .method = evhttp_request_get_command(req) };
	request_client(&rc);
	size_t plen;
	const char *path = target_path(req, &plen);
	const struct route *r = NULL;
	if (path_normalize(path, plen, rc.path, sizeof(rc.path)) == 0)
		r = route_find(rc.api, rc.path);
	else
		snprintf(rc.path, sizeof(rc.path), "(long path)");
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	if (!r) {
		reply_error(&rc, 404, "not_found");
	} else if (rc.method == EVHTTP_REQ_OPTIONS) {
		evhttp_add_header(out, "Allow", r->allow);
		reply(&rc, 204, NULL);
	} else if (!(r->methods & (int)rc.method)) {
		evhttp_add_header(out, "Allow", r->allow);
		reply_error(&rc, 405, "method_not_allowed");
	} else if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > rc.api->cfg->max_body) {
		reply_error(&rc, 413, "body_too_large");
	} else {
		r->handler(&rc);
	}
}

/* ---- TLS ---- */

/* The first OpenSSL error queued (the root cause, e.g. fopen's errno), for "FILE: reason" messages. */
static const char *tls_reason(char *buf, size_t len)
{
	const char *data = NULL;
	int flags = 0;
	unsigned long e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	bool has_data = (flags & ERR_TXT_STRING) && data && *data;
	if (e && ERR_SYSTEM_ERROR(e))
		snprintf(buf, len, "%s", strerror(ERR_GET_REASON(e)));
	else if (r)
		snprintf(buf, len, "%s%s%s%s", r, has_data ? " (" : "", has_data ? data : "", has_data ? ")" : "");
	else
		snprintf(buf, len, "%s", e ? "OpenSSL error" : "unknown error");
	ERR_clear_error();
	return buf;
}

static SSL_CTX *tls_load(const char *cert, const char *key, char *errbuf, size_t errlen)
{
	char why[256];
	ERR_clear_error();
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(errbuf, errlen, "TLS: %s", tls_reason(why, sizeof(why)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		snprintf(errbuf, errlen, "%s: %s", cert, tls_reason(why, sizeof(why)));
	else if (secret_path_check(key, errbuf, errlen) != 0)
		;                       /* errbuf says who else may read the private key */
	else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		snprintf(errbuf, errlen, "%s: %s", key, tls_reason(why, sizeof(why)));
	else if (SSL_CTX_check_private_key(ctx) != 1)
		snprintf(errbuf, errlen, "%s: not the key of certificate %s (%s)", key, cert, tls_reason(why, sizeof(why)));
	else
		return ctx;
	SSL_CTX_free(ctx);
	return NULL;
}

int api_reload_tls(struct api *api)
{
	if (!api || !api->tls)
		return 0;
	char err[512];
	SSL_CTX *ctx = tls_load(api->cfg->tls_cert, api->cfg->tls_key, err, sizeof(err));
	if (!ctx) {
		log_error("api: TLS reload failed, keeping the certificate loaded before: %s", err);
		return -1;
	}
	SSL_CTX_free(api->tls);              /* open connections hold their own reference */
	api->tls = ctx;
	log_info("api: TLS certificate reloaded from %s", api->cfg->tls_cert);
	return 0;
}

/* ---- start and stop ---- */

static evutil_socket_t listen_socket(const struct config *cfg, char *errbuf, size_t errlen)
{
	int one = 1;
	int fd = socket(cfg->api_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(errbuf, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)&cfg->api_addr, cfg->api_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		snprintf(errbuf, errlen, "cannot listen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int http_setup(struct api *api, char *errbuf, size_t errlen)
{
	const struct config *cfg = api->cfg;
	api->http = evhttp_new(api->base);
	api->adopt_ev = event_new(api->base, -1, 0, on_adopt, api);
	api->flush_ev = event_new(api->base, -1, 0, on_flush, api);
	api->queue = calloc(API_BATCH_MAX, sizeof(*api->queue));
	if (!api->http || !api->adopt_ev || !api->flush_ev || !api->queue) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	/* Bodies a little over max_body get a JSON 413 from us; far over, evhttp stops reading (HTML 413). */
	evhttp_set_max_body_size(api->http, (ev_ssize_t)cfg->max_body * BODY_HARD_MULT);
	evhttp_set_max_headers_size(api->http, (ev_ssize_t)cfg->max_headers);
	evhttp_set_timeout(api->http, (int)cfg->api_timeout);
	evhttp_set_default_content_type(api->http, NULL);   /* an empty 200 says nothing about a type */
	evhttp_set_allowed_methods(api->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
				   EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
				   EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(api->http, on_request, api);
	evhttp_set_bevcb(api->http, on_accept_bev, api);
	evutil_socket_t fd = listen_socket(cfg, errbuf, errlen);
	if (fd < 0)
		return -1;
	api->listener = evconnlistener_new(api->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!api->listener) {
		close(fd);
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if (!evhttp_bind_listener(api->http, api->listener)) {
		evconnlistener_free(api->listener);
		api->listener = NULL;
		snprintf(errbuf, errlen, "cannot attach the listener");
		return -1;
	}
	return 0;
}

static int secrets_init(struct api *api)
{
	uint8_t seeds[24];
	if (RAND_bytes(api->secret, sizeof(api->secret)) != 1 || RAND_bytes(seeds, sizeof(seeds)) != 1)
		return -1;
	uint64_t rate_seed, conn_seed;
	memcpy(&api->auth_seed, seeds, 8);
	memcpy(&rate_seed, seeds + 8, 8);
	memcpy(&conn_seed, seeds + 16, 8);
	if (api->cfg->api_max_conns_per_client &&
	    !(api->per_client = connlimit_new(api->cfg->api_max_conns_per_client, conn_seed)))
		return -1;
	if (api->cfg->register_rate) {
		/* per address, as one host usually owns a whole IPv6 /64; burst = a minute's worth */
		const struct ratelimit_conf conf = { .rate = api->cfg->register_rate / 60.0,
						     .burst = api->cfg->register_rate, .ipv4_prefix = 32, .ipv6_prefix = 64 };
		api->rate = ratelimit_new(&conf, RATE_SLOTS, rate_seed);
		if (!api->rate)
			return -1;
	}
	return 0;
}

struct api *api_start(struct event_base *base, const struct api_deps *deps, char *errbuf, size_t errlen)
{
	const struct config *cfg = deps->cfg;
	struct api *api = calloc(1, sizeof(*api));
	if (!api) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	api->base = base;
	api->cfg = cfg;
	api->store = deps->store;
	api->txt = deps->txt;
	api->write_lock = deps->write_lock;
	if (secrets_init(api) < 0) {
		snprintf(errbuf, errlen, "no randomness for the API secrets, or out of memory");
		goto fail;
	}
	if (!cfg->tls_cert != !cfg->tls_key) {
		snprintf(errbuf, errlen, "tls_cert and tls_key must be given together");
		goto fail;
	}
	if (cfg->tls_cert && !(api->tls = tls_load(cfg->tls_cert, cfg->tls_key, errbuf, errlen)))
		goto fail;
	if (http_setup(api, errbuf, errlen) < 0)
		goto fail;
	return api;
fail:
	api_free(api);
	return NULL;
}

void api_free(struct api *api)
{
	if (!api)
		return;
	api->closing = true;
	queue_flush(api);                    /* what was accepted is committed and answered before the end */
	if (api->http)
		evhttp_free(api->http);          /* closes the listener and every connection (on_conn_close) */
	struct api_conn *c;
	while ((c = api->pending) != NULL) {
		list_remove(&api->pending, c);
		bufferevent_decref(c->bev);
		free(c);
	}
	if (api->adopt_ev)
		event_free(api->adopt_ev);
	if (api->flush_ev)
		event_free(api->flush_ev);
	free(api->queue);
	SSL_CTX_free(api->tls);
	ratelimit_free(api->rate);
	connlimit_free(api->per_client);
	OPENSSL_cleanse(api, sizeof(*api));
	free(api);
}
