/* acme-dnsd configuration: loads the YAML file with libyaml's document API, applies defaults, validates every key. */
#include "config.h"

#include "log.h"
#include "secretfile.h"
#include "tsig.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <yaml.h>

#include <sys/stat.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A configuration file is small; refusing big ones keeps a mistaken path from eating memory. */
#define CONFIG_MAX_FILE (1024 * 1024)

struct cfg_ctx {
	yaml_document_t *doc;
	const char *file;  /* as given, for messages */
	char *dir;         /* absolute directory of the file, for relative paths */
	char *err;
	size_t errlen;
	bool failed;       /* the first error sticks */
};

/* One key being parsed: its value node, dotted path and the line of the key itself. */
struct item {
	yaml_node_t *node;
	const char *key;
	size_t key_line;
};

struct key_spec;
typedef int (*key_fn)(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base);

struct key_spec {
	const char *name;
	key_fn parse;
	size_t off;                  /* the field in base that parse fills */
	uint32_t min, max;           /* for numbers and durations */
	bool required;
	const struct key_spec *sub;  /* for sections */
};

/* A listen entry written as a mapping; its values are checked after the mapping is read. */
struct listen_item {
	yaml_node_t *address;
	yaml_node_t *proto;
};

/* ---------- errors and node helpers ---------- */

__attribute__((format(printf, 4, 5))) static int cfg_fail(struct cfg_ctx *c, size_t line, const char *key,
							    const char *fmt, ...)
{
	if (c->failed)
		return -1;
	c->failed = true;
	char reason[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s:%zu: %s: %s", c->file, line, key, reason);
	return -1;
}

static size_t node_line(const yaml_node_t *n)
{
	return n->start_mark.line + 1;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a single value";
	}
}

/* A plain empty scalar, "~" or "null": YAML's null, as in "key:" with nothing after it. */
static bool node_is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* The text of a scalar value, or NULL with the error set for lists, mappings, nulls and embedded NULs. */
static const char *scalar(struct cfg_ctx *c, const struct item *it)
{
	const yaml_node_t *n = it->node;
	if (n->type != YAML_SCALAR_NODE) {
		cfg_fail(c, node_line(n), it->key, "expected a single value, found %s", node_kind(n));
		return NULL;
	}
	if (node_is_null(n)) {
		cfg_fail(c, node_line(n), it->key, "missing value");
		return NULL;
	}
	const char *v = (const char *)n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length) {
		cfg_fail(c, node_line(n), it->key, "contains a NUL byte");
		return NULL;
	}
	return v;
}

static void *field(void *base, const struct key_spec *k)
{
	return (char *)base + k->off;
}

/* Replaces the string field with s (owned by the field from now on). */
static int set_string(struct cfg_ctx *c, const struct item *it, char **dst, char *s)
{
	if (!s)
		return cfg_fail(c, node_line(it->node), it->key, "out of memory");
	free(*dst);
	*dst = s;
	return 0;
}

/* ---------- mappings ---------- */

static int parse_mapping(struct cfg_ctx *c, yaml_node_t *map, const struct key_spec *specs, const char *prefix,
			 size_t line, void *base);

static int parse_pair(struct cfg_ctx *c, const yaml_node_pair_t *p, const struct key_spec *specs,
		      const char *prefix, void *base, uint32_t *seen)
{
	yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
	yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
	if (!kn || !vn)
		return cfg_fail(c, 1, prefix, "broken document");
	if (kn->type != YAML_SCALAR_NODE)
		return cfg_fail(c, node_line(kn), *prefix ? prefix : "top level", "keys must be plain words");
	const char *name = (const char *)kn->data.scalar.value;
	char key[160];
	snprintf(key, sizeof(key), "%s%s%.64s", prefix, *prefix ? "." : "", name);
	size_t i = 0;
	while (specs[i].name && strcmp(specs[i].name, name) != 0)
		i++;
	if (!specs[i].name)
		return cfg_fail(c, node_line(kn), key, "unknown key");
	if (*seen & (1u << i))
		return cfg_fail(c, node_line(kn), key, "duplicate key");
	*seen |= 1u << i;
	struct item it = { vn, key, node_line(kn) };
	return specs[i].parse(c, &specs[i], &it, base);
}

/* Reads a mapping against a table of keys; a null (empty) section counts as an empty mapping. */
static int parse_mapping(struct cfg_ctx *c, yaml_node_t *map, const struct key_spec *specs, const char *prefix,
			 size_t line, void *base)
{
	uint32_t seen = 0;
	if (map && map->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
			if (parse_pair(c, p, specs, prefix, base, &seen) < 0)
				return -1;
	} else if (map && !node_is_null(map)) {
		return cfg_fail(c, node_line(map), *prefix ? prefix : "top level", "expected a mapping, found %s",
				node_kind(map));
	}
	for (size_t i = 0; specs[i].name; i++) {
		if (specs[i].required && !(seen & (1u << i))) {
			char key[160];
			snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", specs[i].name);
			return cfg_fail(c, line, key, "missing required key");
		}
	}
	return 0;
}

static int h_section(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	return parse_mapping(c, it->node, k->sub, it->key, it->key_line, base);
}

/* Keeps the value node for a check after the whole mapping is read. */
static int h_node(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	*(yaml_node_t **)field(base, k) = it->node;
	return 0;
}

/* ---------- numbers, durations, booleans ---------- */

/* Reads leading decimal digits into *out (saturating above UINT32_MAX); returns digits read, 0 if none. */
static size_t read_digits(const char *s, uint64_t *out)
{
	size_t n = 0;
	uint64_t v = 0;
	for (; s[n] >= '0' && s[n] <= '9'; n++)
		if (v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(s[n] - '0');
	*out = v;
	return n;
}

static int check_range(struct cfg_ctx *c, const struct item *it, uint64_t v, const struct key_spec *k,
		       const char *unit)
{
	if (v < k->min || v > k->max)
		return cfg_fail(c, node_line(it->node), it->key, "must be between %u and %u%s", (unsigned)k->min,
				(unsigned)k->max, unit);
	return 0;
}

/* A plain decimal: no sign, no junk, and no leading zero (YAML 1.1 would read "010" as octal). */
static int parse_uint(struct cfg_ctx *c, const struct item *it, const struct key_spec *k, uint32_t *out)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	uint64_t v;
	size_t n = read_digits(s, &v);
	if (n == 0 || s[n] != '\0' || (s[0] == '0' && n > 1))
		return cfg_fail(c, node_line(it->node), it->key, "\"%.40s\" is not a whole number", s);
	if (check_range(c, it, v, k, "") < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int h_uint(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	return parse_uint(c, it, k, field(base, k));
}

static int h_uint16(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	uint32_t v;
	if (parse_uint(c, it, k, &v) < 0)
		return -1;
	*(uint16_t *)field(base, k) = (uint16_t)v; /* k->max keeps it in range */
	return 0;
}

static uint64_t duration_unit(char suffix)
{
	switch (suffix) {
	case '\0':
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	default:
		return 0;
	}
}

/* Seconds, written as "90" or with one suffix: "90s", "5m", "1h", "7d". */
static int h_duration(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	uint64_t v;
	size_t n = read_digits(s, &v);
	uint64_t unit = duration_unit(s[n]);
	if (n == 0 || unit == 0 || (s[n] && s[n + 1]) || (s[0] == '0' && n > 1))
		return cfg_fail(c, node_line(it->node), it->key,
				"\"%.40s\" is not a duration (seconds, or a number followed by s, m, h or d)", s);
	v = v > UINT32_MAX ? v : v * unit; /* both factors fit 32 bits: no overflow */
	if (check_range(c, it, v, k, " seconds") < 0)
		return -1;
	*(uint32_t *)field(base, k) = (uint32_t)v;
	return 0;
}

static int h_bool(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off" };
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*(bool *)field(base, k) = !strcasecmp(s, yes[i]);
			return 0;
		}
	}
	return cfg_fail(c, node_line(it->node), it->key, "\"%.40s\" is not a boolean (true/false, yes/no, on/off)",
			s);
}

/* ---------- strings, names, paths ---------- */

static int h_string(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	if (!*s)
		return cfg_fail(c, node_line(it->node), it->key, "must not be empty");
	return set_string(c, it, field(base, k), strdup(s));
}

/* An HTTP header name is a token (RFC 9110 section 5.6.2). */
static int h_header(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	if (h_string(c, k, it, base) < 0)
		return -1;
	const char *s = *(char **)field(base, k);
	if (s[strspn(s, "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")])
		return cfg_fail(c, node_line(it->node), it->key, "\"%.40s\" is not an HTTP header name", s);
	return 0;
}

/* Checks labels of letters, digits and inner hyphens, 1..63 bytes each, 253 in all. */
static bool hostname_valid(const char *s)
{
	size_t len = strlen(s), label = 0;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char ch = s[i];
		if (ch == '.' || ch == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)ch) && ch != '-')
			return false;
		if (label == 0 && ch == '-')
			return false;
		label++;
	}
	return true;
}

/* Lower-cases s and drops one trailing dot: names are stored relative to the root. */
static char *name_normalize(const char *s)
{
	char *n = strdup(s);
	if (!n)
		return NULL;
	for (char *p = n; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	size_t len = strlen(n);
	if (len > 1 && n[len - 1] == '.')
		n[len - 1] = '\0';
	return n;
}

static int h_hostname(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	char *n = name_normalize(s);
	if (n && !hostname_valid(n)) {
		free(n);
		return cfg_fail(c, node_line(it->node), it->key, "\"%.80s\" is not a valid host name", s);
	}
	return set_string(c, it, field(base, k), n);
}

/* Turns the mailbox's local part into the first DNS label: a safe character set, dots escaped (RFC 1035 3.3). */
static bool mailbox_local_escape(const char *local, size_t n, char *out)
{
	size_t o = 0;
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = local[i];
		if (!isalnum((unsigned char)ch) && ch != '-' && ch != '_' && ch != '+' && ch != '.')
			return false;
		if (ch == '.')
			out[o++] = '\\';
		out[o++] = ch;
	}
	out[o] = '\0';
	return true;
}

/* Length of the first label of a dotted RNAME ("\." escapes allowed), 0 when it is not acceptable. */
static size_t rname_first_label(const char *s)
{
	size_t i = 0, raw = 0;
	while (s[i] && s[i] != '.') {
		if (s[i] == '\\' && s[i + 1] == '.')
			i++;
		else if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '+')
			return 0;
		i++;
		raw++;
	}
	return raw >= 1 && raw <= 63 ? i : 0;
}

/* Writes the SOA RNAME for "user@domain" or "user.domain" into out (512 bytes); false when invalid. */
static bool admin_rname(const char *s, char *out, size_t outlen)
{
	const char *at = strchr(s, '@');
	if (at) {
		char local[128];
		if (strchr(at + 1, '@') || !mailbox_local_escape(s, (size_t)(at - s), local) ||
		    !hostname_valid(at + 1))
			return false;
		snprintf(out, outlen, "%s.%s", local, at + 1);
		return true;
	}
	size_t first = rname_first_label(s);
	if (first == 0 || s[first] != '.' || !hostname_valid(s + first + 1))
		return false;
	snprintf(out, outlen, "%s", s);
	return true;
}

static int h_admin(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	char *n = name_normalize(s);
	if (!n)
		return set_string(c, it, field(base, k), NULL);
	char rname[512];
	bool ok = strlen(n) < 400 && admin_rname(n, rname, sizeof(rname));
	free(n);
	if (!ok)
		return cfg_fail(c, node_line(it->node), it->key,
				"\"%.80s\" is not a mailbox (hostmaster@example.org or hostmaster.example.org)", s);
	return set_string(c, it, field(base, k), strdup(rname));
}

/* Relative paths are taken from the configuration file's directory, so the daemon's cwd does not matter. */
static char *path_resolve(const struct cfg_ctx *c, const char *p)
{
	if (p[0] == '/')
		return strdup(p);
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (!*p || !strcmp(p, "."))
		return strdup(c->dir);
	size_t n = strlen(c->dir) + strlen(p) + 2;
	char *r = malloc(n);
	if (r)
		snprintf(r, n, "%s%s%s", c->dir, strcmp(c->dir, "/") ? "/" : "", p);
	return r;
}

static int h_path(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	if (!*s)
		return cfg_fail(c, node_line(it->node), it->key, "must not be empty");
	return set_string(c, it, field(base, k), path_resolve(c, s));
}

/* A SQLite file, or a database URL that the store module understands and that we keep as written. */
static int h_store_path(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	if (strncmp(s, "postgres://", 11) && strncmp(s, "postgresql://", 13) && strcmp(s, ":memory:"))
		return h_path(c, k, it, base);
	return set_string(c, it, field(base, k), strdup(s));
}

/* ---------- addresses ---------- */

static int listen_address(struct cfg_ctx *c, const struct item *it, struct config_listen *l)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	char why[160];
	if (netaddr_parse_hostport(s, &l->addr, &l->addrlen, why, sizeof(why)) < 0)
		return cfg_fail(c, node_line(it->node), it->key, "%s", why);
	snprintf(l->text, sizeof(l->text), "%s", s);
	return 0;
}

static int listen_proto(struct cfg_ctx *c, const struct item *it, struct config_listen *l)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	l->udp = !strcmp(s, "udp") || !strcmp(s, "both");
	l->tcp = !strcmp(s, "tcp") || !strcmp(s, "both");
	if (!l->udp && !l->tcp)
		return cfg_fail(c, node_line(it->node), it->key, "\"%.40s\" is not udp, tcp or both", s);
	return 0;
}

static const struct key_spec listen_specs[] = {
	{ .name = "address", .parse = h_node, .off = offsetof(struct listen_item, address), .required = true },
	{ .name = "proto", .parse = h_node, .off = offsetof(struct listen_item, proto) },
	{ .name = NULL },
};

/* One dns.listen entry: "host:port" (UDP and TCP) or {address: "host:port", proto: udp|tcp|both}. */
static int listen_entry(struct cfg_ctx *c, yaml_node_t *n, const char *key, struct config_listen *l)
{
	struct item it = { n, key, node_line(n) };
	l->udp = l->tcp = true;
	if (n->type != YAML_MAPPING_NODE)
		return listen_address(c, &it, l);
	struct listen_item li = { 0 };
	if (parse_mapping(c, n, listen_specs, key, node_line(n), &li) < 0)
		return -1;
	char sub[96];
	snprintf(sub, sizeof(sub), "%s.address", key);
	struct item addr = { li.address, sub, 0 };
	if (listen_address(c, &addr, l) < 0 || !li.proto)
		return c->failed ? -1 : 0;
	snprintf(sub, sizeof(sub), "%s.proto", key);
	struct item proto = { li.proto, sub, 0 };
	return listen_proto(c, &proto, l);
}

/* Returns the list's length, or -1 with the error set when the node is not a list of 0..max items. */
static long seq_length(struct cfg_ctx *c, const struct item *it, size_t min, size_t max)
{
	const yaml_node_t *seq = it->node;
	if (seq->type != YAML_SEQUENCE_NODE)
		return cfg_fail(c, node_line(seq), it->key, "expected a list, found %s", node_kind(seq));
	size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (n < min || n > max)
		return cfg_fail(c, it->key_line, it->key, "needs %zu to %zu entries, found %zu", min, max, n);
	return (long)n;
}

static yaml_node_t *seq_item(struct cfg_ctx *c, const struct item *it, size_t i)
{
	return yaml_document_get_node(c->doc, it->node->data.sequence.items.start[i]);
}

static int h_dns_listen(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	struct config *cfg = base;
	long n = seq_length(c, it, 1, CONFIG_MAX_LISTEN);
	for (long i = 0; i < n; i++) {
		char key[64];
		snprintf(key, sizeof(key), "%s[%ld]", it->key, i);
		if (listen_entry(c, seq_item(c, it, (size_t)i), key, &cfg->dns_listen[i]) < 0)
			return -1;
	}
	cfg->n_dns_listen = n > 0 ? (size_t)n : 0;
	return n < 0 ? -1 : 0;
}

/* "" (or nothing) turns the API off; otherwise an address to listen on. */
static int h_api_listen(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	struct config *cfg = base;
	const yaml_node_t *n = it->node;
	if (n->type == YAML_SCALAR_NODE && (node_is_null(n) || n->data.scalar.length == 0)) {
		cfg->api_enabled = false;
		memset(&cfg->api_addr, 0, sizeof(cfg->api_addr));
		cfg->api_addrlen = 0;
		cfg->api_text[0] = '\0';
		return 0;
	}
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	char why[160];
	if (netaddr_parse_hostport(s, &cfg->api_addr, &cfg->api_addrlen, why, sizeof(why)) < 0)
		return cfg_fail(c, node_line(n), it->key, "%s", why);
	snprintf(cfg->api_text, sizeof(cfg->api_text), "%s", s);
	cfg->api_enabled = true;
	return 0;
}

static int h_ns_addresses(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	struct config *cfg = base;
	long n = seq_length(c, it, 1, CONFIG_MAX_NS_ADDRS);
	for (long i = 0; i < n; i++) {
		char key[64];
		unsigned char bin[16];
		snprintf(key, sizeof(key), "%s[%ld]", it->key, i);
		struct item e = { seq_item(c, it, (size_t)i), key, 0 };
		const char *s = scalar(c, &e);
		if (!s)
			return -1;
		if (strlen(s) >= sizeof(cfg->ns_addresses[0]) ||
		    (inet_pton(AF_INET, s, bin) != 1 && inet_pton(AF_INET6, s, bin) != 1))
			return cfg_fail(c, node_line(e.node), key, "\"%.60s\" is not an IPv4 or IPv6 address", s);
		snprintf(cfg->ns_addresses[i], sizeof(cfg->ns_addresses[i]), "%s", s);
	}
	cfg->n_ns_addresses = n > 0 ? (size_t)n : 0;
	cfg->ns_addresses_line = it->key_line;
	return n < 0 ? -1 : 0;
}

/* ns_addresses are served as records of ns_name inside the zone: ns_name must be the zone or below it. */
/* A configuration that holds secrets itself (update.keys[].secret) is a secret file too. */
static void check_inline_secrets(struct cfg_ctx *c, const struct config *cfg)
{
	char why[512];
	for (size_t i = 0; i < cfg->n_keys; i++)
		if (cfg->keys[i].secret_inline && secret_path_check(c->file, why, sizeof(why)) != 0) {
			cfg_fail(c, cfg->keys[i].line, "update.keys", "holds the secret of key %s, but %s",
				 cfg->keys[i].name, why);
			return;
		}
}

/* With chroot, everything read after the start (store, zones, TLS files) must lie inside it. */
static void check_chroot(struct cfg_ctx *c, const struct config *cfg)
{
	if (!cfg->chroot)
		return;
	const char *paths[] = { cfg->store_path, cfg->zones_dir, cfg->tls_cert, cfg->tls_key };
	const char *keys[] = { "store.path", "dns.zones_dir", "api.tls.cert", "api.tls.key" };
	size_t n = strlen(cfg->chroot);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const char *p = paths[i];
		if (!p || strncmp(p, "postgres", 8) == 0)
			continue;
		if (strncmp(p, cfg->chroot, n) != 0 || p[n] != '/') {
			cfg_fail(c, cfg->chroot_line, "chroot", "%s %s lies outside %s: it could not be read after the start",
				 keys[i], p, cfg->chroot);
			return;
		}
	}
}

static void check_ns_addresses(struct cfg_ctx *c, const struct config *cfg)
{
	if (!cfg->n_ns_addresses || !cfg->ns_name || !cfg->zone)
		return;
	size_t nl = strlen(cfg->ns_name), zl = strlen(cfg->zone);
	if (nl == zl ? strcasecmp(cfg->ns_name, cfg->zone) == 0
		     : nl > zl && cfg->ns_name[nl - zl - 1] == '.' && strcasecmp(cfg->ns_name + nl - zl, cfg->zone) == 0)
		return;
	cfg_fail(c, cfg->ns_addresses_line, "dns.ns_addresses",
		 "dns.ns_name %s is outside dns.zone %s: its addresses belong in its own zone", cfg->ns_name, cfg->zone);
}

static int h_proxies(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	struct config *cfg = base;
	long n = seq_length(c, it, 0, CONFIG_MAX_PROXIES);
	for (long i = 0; i < n; i++) {
		char key[64];
		snprintf(key, sizeof(key), "%s[%ld]", it->key, i);
		struct item e = { seq_item(c, it, (size_t)i), key, 0 };
		const char *s = scalar(c, &e);
		if (!s)
			return -1;
		if (cidr_parse(s, &cfg->trusted_proxies[i]) < 0)
			return cfg_fail(c, node_line(e.node), key, "\"%.60s\" is not an IP address or CIDR network", s);
	}
	cfg->n_trusted_proxies = n > 0 ? (size_t)n : 0;
	return n < 0 ? -1 : 0;
}

/* ---------- update (RFC 2136 with TSIG) ---------- */

/* An update.keys[] entry while it is read. Its algorithm and decoded secret may come in any order, so they wait
 * here until the whole entry is known, become the entry's TSIG key, and the decoded copy is wiped: the secret
 * then lives in the key alone. */
struct key_draft {
	struct config_key ck;
	enum tsig_alg algorithm;
	uint8_t *secret;
	size_t secret_len;
};

/* A TSIG key name: labels of letters, digits, '-' and '_', 1..63 bytes each, 253 in all (after normalizing). */
static bool keyname_valid(const char *s)
{
	size_t len = strlen(s), label = 0;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (label == 0 || label > 63)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_') {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

static int h_key_name(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	char *n = name_normalize(s);
	if (n && !keyname_valid(n)) {
		free(n);
		return cfg_fail(c, node_line(it->node), it->key, "\"%.80s\" is not a valid key name", s);
	}
	return set_string(c, it, field(base, k), n);
}

static int h_key_algorithm(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	if (tsig_alg_parse(s, &((struct key_draft *)base)->algorithm) != 0)
		return cfg_fail(c, node_line(it->node), it->key,
				"\"%.40s\" is not hmac-sha256, hmac-sha224, hmac-sha384, hmac-sha512, hmac-sha1 or hmac-md5", s);
	return 0;
}

/* Strict RFC 4648 base64 (the alphabet with '+' and '/', padded): what tsig-keygen and dnssec-keygen write.
 * Returns the decoded length, or -1. out holds at least len / 4 * 3 bytes. */
static long base64_decode(const char *s, size_t len, uint8_t *out)
{
	size_t pad = 0;
	if (len == 0 || len % 4 != 0)
		return -1;
	while (pad < 2 && s[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/')
			return -1;
	int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	return n < 0 ? -1 : (long)n - (long)pad;
}

/* Decodes a secret into the entry; line and key name the place for messages. */
static int key_secret_set(struct cfg_ctx *c, size_t line, const char *key, struct key_draft *d, const char *b64,
			  size_t len)
{
	if (d->secret)
		return cfg_fail(c, line, key, "give secret or secret_file, not both");
	if (len > TSIG_SECRET_MAX * 2)
		return cfg_fail(c, line, key, "the secret is longer than %d bytes", TSIG_SECRET_MAX);
	uint8_t *buf = malloc(len / 4 * 3 + 3);
	if (!buf)
		return cfg_fail(c, line, key, "out of memory");
	long n = base64_decode(b64, len, buf);
	if (n <= 0 || n > TSIG_SECRET_MAX) {
		OPENSSL_cleanse(buf, len / 4 * 3 + 3);
		free(buf);
		return cfg_fail(c, line, key, "not a base64 secret (RFC 4648 with padding, 1 to %d bytes)",
				TSIG_SECRET_MAX);
	}
	d->secret = buf;
	d->secret_len = (size_t)n;
	return 0;
}

static int h_key_secret(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	((struct key_draft *)base)->ck.secret_inline = true;
	return key_secret_set(c, node_line(it->node), it->key, base, s, strlen(s));
}

/* Reads a small file whole into buf (cap bytes, NUL-terminated). Returns its length, or -1 with errno set. */
static ssize_t read_small_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	ssize_t n = 1;
	while (n > 0 && len < cap - 1) {
		n = read(fd, buf + len, cap - 1 - len);
		len += n > 0 ? (size_t)n : 0;
		if (n < 0 && errno == EINTR)
			n = 1;
	}
	int err = errno;
	close(fd);
	buf[len] = '\0';
	if (n < 0 || len == cap - 1) {
		errno = n < 0 ? err : EFBIG;
		return -1;
	}
	return (ssize_t)len;
}

/* The file holds the base64 secret alone; surrounding white space (a final newline) is allowed. */
static int h_key_secret_file(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	if (((struct key_draft *)base)->secret)
		return cfg_fail(c, node_line(it->node), it->key, "give secret or secret_file, not both");
	char *path = path_resolve(c, s);
	if (!path)
		return cfg_fail(c, node_line(it->node), it->key, "out of memory");
	char buf[TSIG_SECRET_MAX * 2 + 64], why[512];
	if (access(path, F_OK) == 0 && secret_path_check(path, why, sizeof(why)) != 0) {
		free(path);
		return cfg_fail(c, node_line(it->node), it->key, "%s", why);
	}
	ssize_t n = read_small_file(path, buf, sizeof(buf));
	int err = errno;
	int rc;
	if (n < 0) {
		rc = cfg_fail(c, node_line(it->node), it->key, "cannot read %s: %s", path,
			      err == EFBIG ? "too large for a secret" : strerror(err));
	} else {
		size_t a = 0, b = (size_t)n;
		while (a < b && isspace((unsigned char)buf[a]))
			a++;
		while (b > a && isspace((unsigned char)buf[b - 1]))
			b--;
		rc = key_secret_set(c, node_line(it->node), it->key, base, buf + a, b - a);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	free(path);
	return rc;
}

/* A list of names; each entry is checked by valid and stored lower case without a trailing dot. */
static int name_list(struct cfg_ctx *c, const struct item *it, size_t max, bool (*valid)(const char *),
		     const char *what, char ***out, size_t *nout)
{
	long n = seq_length(c, it, 0, max);
	if (n < 0)
		return -1;
	*out = calloc((size_t)n + 1, sizeof(char *));
	if (!*out)
		return cfg_fail(c, it->key_line, it->key, "out of memory");
	for (long i = 0; i < n; i++) {
		char key[200];
		snprintf(key, sizeof(key), "%s[%ld]", it->key, i);
		struct item e = { seq_item(c, it, (size_t)i), key, 0 };
		const char *s = scalar(c, &e);
		if (!s)
			return -1;
		char *v = name_normalize(s);
		if (!v)
			return cfg_fail(c, node_line(e.node), key, "out of memory");
		(*out)[(*nout)++] = v;
		if (!valid(v))
			return cfg_fail(c, node_line(e.node), key, "\"%.80s\" is not %s", s, what);
	}
	return 0;
}

/* An acme-dns account subdomain is one label (a UUID when /register made it). */
static bool subdomain_valid(const char *s)
{
	return !strchr(s, '.') && keyname_valid(s);
}

static int h_key_subdomains(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	struct config_key *ck = &((struct key_draft *)base)->ck;
	return name_list(c, it, CONFIG_MAX_KEY_SUBS, subdomain_valid, "a subdomain label", &ck->subdomains,
			 &ck->n_subdomains);
}

static int h_key_zones(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	struct config_key *ck = &((struct key_draft *)base)->ck;
	ck->all_zones = false;
	return name_list(c, it, CONFIG_MAX_KEY_ZONES, hostname_valid, "a zone name", &ck->zones, &ck->n_zones);
}

static const struct key_spec key_specs[] = {
	{ .name = "name", .parse = h_key_name, .off = offsetof(struct key_draft, ck.name), .required = true },
	{ .name = "algorithm", .parse = h_key_algorithm },
	{ .name = "secret", .parse = h_key_secret },
	{ .name = "secret_file", .parse = h_key_secret_file },
	{ .name = "subdomains", .parse = h_key_subdomains },
	{ .name = "zones", .parse = h_key_zones },
	{ .name = NULL },
};

/* Reads the entry's mapping into d, then makes its TSIG key. */
static int key_draft_read(struct cfg_ctx *c, const struct item *it, struct key_draft *d)
{
	char err[256];
	if (it->node->type != YAML_MAPPING_NODE)
		return cfg_fail(c, d->ck.line, it->key, "expected a mapping (name, algorithm, secret...), found %s",
				node_kind(it->node));
	if (parse_mapping(c, it->node, key_specs, it->key, d->ck.line, d) < 0)
		return -1;
	if (!d->secret)
		return cfg_fail(c, d->ck.line, it->key, "secret or secret_file is required");
	d->ck.tsig = tsig_key_new_raw(d->ck.name, d->algorithm, d->secret, d->secret_len, err, sizeof(err));
	if (!d->ck.tsig)
		return cfg_fail(c, d->ck.line, it->key, "%s", err);
	return 0;
}

static int key_entry(struct cfg_ctx *c, const struct item *it, struct config_key *keys, size_t i)
{
	struct key_draft d = { .ck = { .line = node_line(it->node), .all_zones = true },
			       .algorithm = TSIG_HMAC_SHA256 };
	int rc = key_draft_read(c, it, &d);
	const struct config_key *ck = &keys[i];
	keys[i] = d.ck;                     /* read in full or not, config_free frees what it holds */
	if (d.secret) {
		OPENSSL_cleanse(d.secret, d.secret_len);
		free(d.secret);
	}
	if (rc < 0)
		return -1;
	for (size_t j = 0; j < i; j++)
		if (strcmp(keys[j].name, ck->name) == 0)
			return cfg_fail(c, ck->line, it->key, "key name \"%s\" is already used by update.keys[%zu]", ck->name,
					j);
	return 0;
}

static int h_update_keys(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	struct config *cfg = base;
	long n = seq_length(c, it, 0, CONFIG_MAX_KEYS);
	if (n < 0)
		return -1;
	cfg->keys = calloc((size_t)n + 1, sizeof(*cfg->keys));
	if (!cfg->keys)
		return cfg_fail(c, it->key_line, it->key, "out of memory");
	for (long i = 0; i < n; i++) {
		char key[64];
		snprintf(key, sizeof(key), "%s[%ld]", it->key, i);
		struct item e = { seq_item(c, it, (size_t)i), key, 0 };
		cfg->n_keys = (size_t)i + 1;       /* so config_free sees what this entry allocated */
		if (key_entry(c, &e, cfg->keys, (size_t)i) < 0)
			return -1;
	}
	return 0;
}

/* ---------- log ---------- */

static int h_log_level(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	int level = log_level_parse(s);
	if (level < 0)
		return cfg_fail(c, node_line(it->node), it->key, "\"%.40s\" is not debug, info, warn or error", s);
	((struct config *)base)->log_level = level;
	return 0;
}

static int h_log_format(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	if (strcmp(s, "text") && strcmp(s, "json"))
		return cfg_fail(c, node_line(it->node), it->key, "\"%.40s\" is not text or json", s);
	((struct config *)base)->log_json = !strcmp(s, "json");
	return 0;
}

/* ---------- chroot ---------- */

static int h_chroot(struct cfg_ctx *c, const struct key_spec *k, const struct item *it, void *base)
{
	struct config *cfg = base;
	const char *s = scalar(c, it);
	if (!s)
		return -1;
	char *path = path_resolve(c, s);
	if (!path)
		return cfg_fail(c, node_line(it->node), it->key, "out of memory");
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || strcmp(path, "/") == 0) {
		int rc = cfg_fail(c, node_line(it->node), it->key, "%s is not a directory to confine the daemon to", path);
		free(path);
		return rc;
	}
	free(cfg->chroot);
	cfg->chroot = path;
	cfg->chroot_line = node_line(it->node);
	return 0;
}

/* ---------- the schema ---------- */

#define OFF(f) offsetof(struct config, f)
#define KEY(n, fn, f) { .name = n, .parse = fn, .off = OFF(f) }
#define REQ(n, fn, f) { .name = n, .parse = fn, .off = OFF(f), .required = true }
#define NUM(n, fn, f, lo, hi) { .name = n, .parse = fn, .off = OFF(f), .min = lo, .max = hi }
#define SECTION(n, s, req) { .name = n, .parse = h_section, .sub = s, .required = req }

static const struct key_spec rrl_specs[] = {
	NUM("rate", h_uint, rrl_rate, 0, 1000000),
	NUM("burst", h_uint, rrl_burst, 1, 10000000),
	NUM("slip", h_uint, rrl_slip, 0, 10),
	NUM("ipv4_prefix", h_uint, rrl_ipv4_prefix, 8, 32),
	NUM("ipv6_prefix", h_uint, rrl_ipv6_prefix, 16, 128),
	{ .name = NULL },
};

static const struct key_spec dns_specs[] = {
	REQ("listen", h_dns_listen, dns_listen),
	REQ("zone", h_hostname, zone),
	REQ("ns_name", h_hostname, ns_name),
	KEY("ns_addresses", h_ns_addresses, ns_addresses),
	REQ("admin", h_admin, admin),
	KEY("zones_dir", h_path, zones_dir),
	NUM("challenge_ttl", h_duration, challenge_ttl, 0, 86400),
	NUM("negative_ttl", h_duration, negative_ttl, 0, 86400),
	NUM("tcp_idle_timeout", h_duration, tcp_idle_timeout, 1, 3600),
	NUM("tcp_max_queries", h_uint, tcp_max_queries, 1, 65535),
	NUM("tcp_max_connections_per_client", h_uint, tcp_max_conns_per_client, 0, 65535),
	NUM("udp_workers", h_uint, udp_workers, 0, 64),
	NUM("edns_max_payload", h_uint16, edns_max_payload, 512, 4096),
	SECTION("rrl", rrl_specs, false),
	{ .name = NULL },
};

static const struct key_spec tls_specs[] = {
	REQ("cert", h_path, tls_cert),
	REQ("key", h_path, tls_key),
	{ .name = NULL },
};

static const struct key_spec api_specs[] = {
	KEY("listen", h_api_listen, api_addr),
	SECTION("tls", tls_specs, false),
	KEY("registration", h_bool, registration),
	NUM("register_rate", h_uint, register_rate, 0, 1000000),
	KEY("trusted_proxies", h_proxies, trusted_proxies),
	KEY("proxy_header", h_header, proxy_header),
	NUM("max_body", h_uint, max_body, 256, 1048576),
	NUM("max_headers", h_uint, max_headers, 1024, 65536),
	NUM("max_connections", h_uint, max_connections, 1, 65535),
	NUM("max_connections_per_client", h_uint, api_max_conns_per_client, 0, 65535),
	NUM("timeout", h_duration, api_timeout, 1, 300),
	{ .name = NULL },
};

static const struct key_spec store_specs[] = {
	REQ("path", h_store_path, store_path),
	NUM("values_kept", h_uint, values_kept, 1, CONFIG_MAX_VALUES),
	NUM("max_value_age", h_duration, max_value_age, 0, UINT32_MAX),
	{ .name = NULL },
};

static const struct key_spec update_specs[] = {
	KEY("keys", h_update_keys, keys),
	NUM("fudge", h_duration, update_fudge, 1, 3600),
	{ .name = NULL },
};

static const struct key_spec log_specs[] = {
	KEY("level", h_log_level, log_level),
	KEY("format", h_log_format, log_json),
	{ .name = NULL },
};

static const struct key_spec root_specs[] = {
	SECTION("dns", dns_specs, true),
	SECTION("api", api_specs, false),
	SECTION("store", store_specs, true),
	SECTION("update", update_specs, false),
	SECTION("log", log_specs, false),
	KEY("user", h_string, user),
	KEY("chroot", h_chroot, chroot),
	{ .name = NULL },
};

/* ---------- loading ---------- */

static int config_defaults(struct config *cfg)
{
	cfg->challenge_ttl = 1;
	cfg->negative_ttl = 60;
	cfg->tcp_idle_timeout = 10;
	cfg->tcp_max_queries = 100;
	cfg->tcp_max_conns_per_client = 16;
	cfg->edns_max_payload = 1232;
	cfg->rrl_slip = 2;
	cfg->rrl_ipv4_prefix = 24;
	cfg->rrl_ipv6_prefix = 56;
	cfg->api_enabled = true;
	netaddr_parse_hostport("127.0.0.1:8080", &cfg->api_addr, &cfg->api_addrlen, NULL, 0);
	snprintf(cfg->api_text, sizeof(cfg->api_text), "127.0.0.1:8080");
	cfg->registration = true;
	cfg->max_body = 4096;
	cfg->max_headers = 8192;
	cfg->max_connections = 512;
	cfg->api_max_conns_per_client = 32;
	cfg->api_timeout = 10;
	cfg->values_kept = 2;
	cfg->update_fudge = 300;
	cfg->log_level = LOG_LVL_INFO;
	cfg->proxy_header = strdup("X-Forwarded-For");
	return cfg->proxy_header ? 0 : -1;
}

/* The absolute directory holding path, without resolving symbolic links. */
static char *config_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == path)
		return strdup("/");
	if (path[0] == '/')
		return strndup(path, (size_t)(slash - path));
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (!slash || (slash == path + 1 && path[0] == '.'))
		return strdup(cwd);
	size_t n = strlen(cwd) + (size_t)(slash - path) + 2;
	char *dir = malloc(n);
	if (dir)
		snprintf(dir, n, "%s/%.*s", cwd, (int)(slash - path), path);
	return dir;
}

/* Reads the whole file (a pipe is fine) into a NUL-terminated buffer of at most CONFIG_MAX_FILE bytes. */
static int read_file(struct cfg_ctx *c, char **out, size_t *outlen)
{
	int fd = open(c->file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(c->err, c->errlen, "%s: cannot open: %s", c->file, strerror(errno));
		return -1;
	}
	char *buf = malloc(CONFIG_MAX_FILE + 1);
	size_t len = 0;
	ssize_t n = 1;
	while (buf && len <= CONFIG_MAX_FILE && n > 0) {
		n = read(fd, buf + len, CONFIG_MAX_FILE + 1 - len);
		len += n > 0 ? (size_t)n : 0;
		if (n < 0 && errno == EINTR)
			n = 1;
	}
	int err = errno;
	close(fd);
	if (!buf || n < 0 || len > CONFIG_MAX_FILE) {
		if (!buf || n < 0)
			snprintf(c->err, c->errlen, "%s: cannot open: %s", c->file, strerror(buf ? err : ENOMEM));
		else
			snprintf(c->err, c->errlen, "%s: cannot open: larger than %d bytes", c->file, CONFIG_MAX_FILE);
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* libyaml's reader errors carry a byte offset rather than a mark. */
static size_t line_at(const char *buf, size_t len, size_t offset)
{
	size_t line = 1;
	for (size_t i = 0; i < offset && i < len; i++)
		line += buf[i] == '\n';
	return line;
}

static int yaml_fail(struct cfg_ctx *c, const yaml_parser_t *p, const char *buf, size_t len)
{
	if (p->error == YAML_MEMORY_ERROR)
		return cfg_fail(c, 1, "yaml", "out of memory");
	size_t line = p->error == YAML_READER_ERROR ? line_at(buf, len, p->problem_offset) : p->problem_mark.line + 1;
	const char *problem = p->problem ? p->problem : "not valid YAML";
	if (p->context)
		return cfg_fail(c, line, "syntax error", "%s %s", problem, p->context);
	return cfg_fail(c, line, "syntax error", "%s", problem);
}

/* Loads the single YAML document in buf into *doc; a second document is an error. */
static int load_document(struct cfg_ctx *c, const char *buf, size_t len, yaml_document_t *doc)
{
	yaml_parser_t p;
	yaml_document_t extra;
	if (!yaml_parser_initialize(&p))
		return cfg_fail(c, 1, "yaml", "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	int rc = -1;
	if (!yaml_parser_load(&p, doc)) {
		yaml_fail(c, &p, buf, len);
	} else if (!yaml_parser_load(&p, &extra)) {
		yaml_fail(c, &p, buf, len);
		yaml_document_delete(doc);
	} else {
		rc = 0;
		if (yaml_document_get_root_node(&extra)) {
			rc = cfg_fail(c, extra.start_mark.line + 1, "top level", "only one YAML document is allowed");
			yaml_document_delete(doc);
		}
		yaml_document_delete(&extra);
	}
	yaml_parser_delete(&p);
	return rc;
}

static void config_parse(struct cfg_ctx *c, struct config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	yaml_document_t doc;
	if (read_file(c, &buf, &len) < 0) {
		c->failed = true;
		return;
	}
	if (load_document(c, buf, len, &doc) == 0) {
		c->doc = &doc;
		parse_mapping(c, yaml_document_get_root_node(&doc), root_specs, "", 1, cfg);
		yaml_document_delete(&doc);
	}
	free(buf);
}

struct config *config_load(const char *path, char *errbuf, size_t errlen)
{
	static char dummy[1];
	struct cfg_ctx c = { .file = path ? path : "", .err = errbuf ? errbuf : dummy, .errlen = errbuf ? errlen : 0 };
	if (c.errlen)
		c.err[0] = '\0';
	struct config *cfg = calloc(1, sizeof(*cfg));
	if (!path || !*path) {
		snprintf(c.err, c.errlen, "no configuration file given");
		c.failed = true;
	} else if (!cfg || !(cfg->path = strdup(path)) || config_defaults(cfg) < 0 || !(c.dir = config_dir(path))) {
		snprintf(c.err, c.errlen, "%s: out of memory", path);
		c.failed = true;
	} else {
		config_parse(&c, cfg);
		if (!c.failed)
			check_ns_addresses(&c, cfg);
		if (!c.failed)
			check_inline_secrets(&c, cfg);
		if (!c.failed)
			check_chroot(&c, cfg);
	}
	free(c.dir);
	if (c.failed) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

static void key_free(struct config_key *k)
{
	tsig_key_free(k->tsig);
	free(k->name);
	for (size_t i = 0; i < k->n_subdomains; i++)
		free(k->subdomains[i]);
	free(k->subdomains);
	for (size_t i = 0; i < k->n_zones; i++)
		free(k->zones[i]);
	free(k->zones);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_keys; i++)
		key_free(&cfg->keys[i]);
	free(cfg->keys);
	char **strings[] = { &cfg->path,    &cfg->zone,     &cfg->ns_name,	   &cfg->admin,	     &cfg->zones_dir,
			     &cfg->tls_cert, &cfg->tls_key, &cfg->proxy_header, &cfg->store_path, &cfg->user, &cfg->chroot };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		free(*strings[i]);
	free(cfg);
}
