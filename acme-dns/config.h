/* acme-dnsd configuration: the YAML file, its defaults and its validation. */
#ifndef ADNS_CONFIG_H
#define ADNS_CONFIG_H

#include "netaddr.h"

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_MAX_LISTEN   16
#define CONFIG_MAX_PROXIES  32
#define CONFIG_MAX_NS_ADDRS 16
#define CONFIG_MAX_VALUES   16
#define CONFIG_MAX_KEYS     64    /* update.keys */
#define CONFIG_MAX_KEY_SUBS 256   /* update.keys[].subdomains */
#define CONFIG_MAX_KEY_ZONES 64   /* update.keys[].zones */

struct config_listen {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool udp, tcp;            /* which protocols to serve on this address */
	char text[80];            /* as written in the file, for logs */
};

struct tsig_key;

/* update.keys[]: a TSIG key and what it may change with RFC 2136 UPDATE. */
struct config_key {
	char *name;               /* lower case, no trailing dot */
	size_t line;              /* of the entry, for messages */
	struct tsig_key *tsig;    /* name, algorithm (default HMAC-SHA256) and secret (lib/tsig.h); freed wiped */
	bool secret_inline;       /* the secret is in the configuration itself (secret:), not in a secret_file */
	char **subdomains;        /* account subdomains under dns.zone it may write, lower case */
	size_t n_subdomains;
	bool all_zones;           /* no zones: key given: _acme-challenge names in every zone served */
	char **zones;             /* else only in these, lower case without the trailing dot */
	size_t n_zones;
};

struct config {
	char *path;               /* the file this came from */

	/* dns: */
	struct config_listen dns_listen[CONFIG_MAX_LISTEN];
	size_t n_dns_listen;
	char *zone;               /* challenge apex, e.g. "auth.example.org", no trailing dot */
	char *ns_name;            /* NS of the apex, e.g. "ns1.auth.example.org" */
	char ns_addresses[CONFIG_MAX_NS_ADDRS][46]; /* A/AAAA of ns_name served in the synthesized apex */
	size_t n_ns_addresses;
	size_t ns_addresses_line; /* for the error when ns_name is outside zone */
	char *admin;              /* SOA RNAME as a mailbox or dotted name, e.g. "hostmaster.example.org" */
	char *zones_dir;          /* directory of *.zone files; NULL = none */
	uint32_t challenge_ttl;   /* TTL of challenge TXT answers (default 1) */
	uint32_t negative_ttl;    /* SOA minimum of the synthesized apex SOA (default 60) */
	uint32_t tcp_idle_timeout;/* seconds (default 10) */
	uint32_t tcp_max_queries; /* per connection (default 100) */
	uint32_t tcp_max_conns_per_client; /* open TCP connections per client address; 0 = no limit (default 16) */
	uint32_t udp_workers;     /* 0 = one per core */
	uint16_t edns_max_payload;/* largest UDP answer we send (default 1232) */
	/* dns.rrl: response rate limiting of UDP answers */
	uint32_t rrl_rate;        /* answers per second per client network; 0 = off (default) */
	uint32_t rrl_burst;       /* bucket size; 0 = not given: the rate */
	uint32_t rrl_slip;        /* every slip-th answer over the rate goes out truncated; 0 = none (default 2) */
	uint32_t rrl_ipv4_prefix; /* IPv4 client network length (default 24) */
	uint32_t rrl_ipv6_prefix; /* IPv6 client network length (default 56) */

	/* api: */
	struct sockaddr_storage api_addr;
	socklen_t api_addrlen;
	char api_text[80];
	bool api_enabled;         /* false when api: listen is "" or absent api section sets disabled */
	char *tls_cert;           /* both NULL = plain HTTP */
	char *tls_key;
	bool registration;        /* POST /register allowed (default true) */
	uint32_t register_rate;   /* registrations per minute per client address; 0 = unlimited */
	struct cidr trusted_proxies[CONFIG_MAX_PROXIES];
	size_t n_trusted_proxies;
	char *proxy_header;       /* default "X-Forwarded-For" */
	uint32_t max_body;        /* bytes (default 4096) */
	uint32_t max_headers;     /* bytes (default 8192) */
	uint32_t max_connections; /* concurrent API connections (default 512) */
	uint32_t api_max_conns_per_client; /* per client address; 0 = no limit (default 32) */
	uint32_t api_timeout;     /* seconds to read a request (default 10) */

	/* store: */
	char *store_path;         /* SQLite file path, or a postgres:// URL */
	uint32_t values_kept;     /* TXT values per subdomain, 1..16 (default 2) */
	uint32_t max_value_age;   /* seconds after which a value stops being served; 0 = never */

	/* update: */
	struct config_key *keys;  /* n_keys entries, names unique */
	size_t n_keys;
	uint32_t update_fudge;    /* most clock skew a signed UPDATE may have, seconds (default 300) */

	/* log: */
	int log_level;            /* enum log_level */
	bool log_json;

	char *user;               /* drop privileges to this user after binding; NULL = stay */
	char *chroot;             /* confine the daemon here after binding and loading; NULL = no */
	size_t chroot_line;
};

/* Loads and validates the file. On error returns NULL and writes "FILE:LINE: key: reason" into errbuf. */
struct config *config_load(const char *path, char *errbuf, size_t errlen);
/* Frees everything config_load allocated. NULL is fine. */
void config_free(struct config *cfg);

#endif
