/* Pure request logic of the HTTP API: the checks acme-dns makes, client address selection, rate limiting. */
#include "api_validate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CIDR_TEXT_MAX 64       /* longer than any IPv6 network in text */

static bool is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* True when s is exactly len characters, all of them base64url. */
static bool all_b64url(const char *s, size_t len)
{
	if (!s)
		return false;
	size_t i = 0;
	for (; s[i] && i <= len; i++)
		if (!is_b64url(s[i]))
			return false;
	return i == len;
}

bool api_valid_txt(const char *s)
{
	return all_b64url(s, API_TXT_LEN);
}

bool api_valid_key(const char *s)
{
	return all_b64url(s, API_KEY_LEN);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads 32 hex digits from s, skipping the dashes of the canonical form when dashed. */
static int uuid_digits(const char *s, bool dashed, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; o < API_UUID_LEN; i++) {
		bool dash_here = dashed && (i == 8 || i == 13 || i == 18 || i == 23);
		bool dash_out = o == 8 || o == 13 || o == 18 || o == 23;
		if (dash_here && s[i] != '-')
			return -1;
		if (dash_out)
			out[o++] = '-';
		if (dash_here)
			continue;
		int v = hexval(s[i]);
		if (v < 0)
			return -1;
		out[o++] = digits[v];
	}
	out[o] = '\0';
	return 0;
}

int api_uuid_canonical(const char *s, char *out, size_t outlen)
{
	if (!s || !out || outlen < API_UUID_LEN + 1)
		return -1;
	size_t n = strnlen(s, 64);
	char tmp[API_UUID_LEN + 1];
	int rc;
	if (n == 32)
		rc = uuid_digits(s, false, tmp);
	else if (n == 36)
		rc = uuid_digits(s, true, tmp);
	else if (n == 38 && s[0] == '{' && s[37] == '}')
		rc = uuid_digits(s + 1, true, tmp);
	else if (n == 45 && strncasecmp(s, "urn:uuid:", 9) == 0)
		rc = uuid_digits(s + 9, true, tmp);
	else
		rc = -1;
	if (rc == 0)
		memcpy(out, tmp, sizeof(tmp));
	return rc;
}

bool api_valid_subdomain(const char *s)
{
	char canon[API_UUID_LEN + 1];
	return api_uuid_canonical(s, canon, sizeof(canon)) == 0;
}

bool api_same_subdomain(const char *a, const char *b)
{
	return a && b && *a && strcasecmp(a, b) == 0;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

int api_trim_copy(const char *s, char *out, size_t outlen)
{
	if (!out || outlen == 0)
		return -1;
	out[0] = '\0';
	if (!s)
		return 0;
	while (is_ows(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_ows(s[n - 1]))
		n--;
	if (n >= outlen)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* The value of the last member whose name equals name ignoring ASCII case, as Go's decoder matches fields. */
static json_t *member_ci(json_t *obj, const char *name)
{
	const char *key;
	json_t *val, *found = NULL;
	json_object_foreach(obj, key, val) {
		if (strcasecmp(key, name) == 0)
			found = val;
	}
	return found;
}

/* Copies s without '[' and ']' (acme-dns strips them from allowfrom entries). Returns 0, -1 if too long. */
static int strip_brackets(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	for (; *s; s++) {
		if (*s == '[' || *s == ']')
			continue;
		if (o + 1 >= outlen)
			return -1;
		out[o++] = *s;
	}
	out[o] = '\0';
	return 0;
}

/* Parses an allowfrom entry as Go's net.ParseCIDR after bracket stripping: "address/prefix", prefix required. */
static int allowfrom_entry(const char *s, char *clean, size_t cleanlen, struct cidr *out)
{
	if (strip_brackets(s, clean, cleanlen) < 0)
		return -1;
	const char *slash = strchr(clean, '/');
	if (!slash || strchr(slash + 1, '/'))
		return -1;
	return cidr_parse(clean, out);
}

/* Checks every element of an allowfrom array and appends the cleaned entries to list. */
static enum api_body_status collect_allowfrom(json_t *arr, json_t *list)
{
	size_t i;
	json_t *v;
	if (!json_is_array(arr))
		return API_BODY_MALFORMED;
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) && !json_is_null(v))
			return API_BODY_MALFORMED;   /* Go fails the whole decode on a wrong element type */
	}
	json_array_foreach(arr, i, v) {
		char clean[CIDR_TEXT_MAX];
		struct cidr c;
		/* A null element decodes to "" in Go, which is no network. */
		if (!json_is_string(v) || allowfrom_entry(json_string_value(v), clean, sizeof(clean), &c) < 0)
			return API_BODY_BAD_CIDR;
		if (json_array_append_new(list, json_string(clean)) < 0)
			return API_BODY_MALFORMED;
	}
	return API_BODY_OK;
}

enum api_body_status api_parse_register(const char *body, size_t len, json_t **allowfrom)
{
	*allowfrom = NULL;
	json_t *list = json_array();
	if (!list)
		return API_BODY_MALFORMED;
	enum api_body_status st = API_BODY_OK;
	if (len > 0) {
		json_t *root = json_loadb(body, len, JSON_DECODE_ANY, NULL);
		json_t *field = json_is_object(root) ? member_ci(root, "allowfrom") : NULL;
		if (!root || (!json_is_object(root) && !json_is_null(root)))
			st = API_BODY_MALFORMED;
		else if (field && !json_is_null(field))
			st = collect_allowfrom(field, list);
		json_decref(root);
	}
	if (st != API_BODY_OK) {
		json_decref(list);
		return st;
	}
	*allowfrom = list;
	return API_BODY_OK;
}

/* Copies a string member into out; "" when absent, of another type, or too long. */
static void string_member(json_t *obj, const char *name, char *out, size_t outlen)
{
	json_t *v = obj ? member_ci(obj, name) : NULL;
	out[0] = '\0';
	if (json_is_string(v) && json_string_length(v) < outlen)
		memcpy(out, json_string_value(v), json_string_length(v) + 1);
}

enum api_body_status api_parse_update(const char *body, size_t len, char *sub, size_t sublen, char *txt,
				      size_t txtlen)
{
	sub[0] = '\0';
	txt[0] = '\0';
	if (len == 0)
		return API_BODY_MALFORMED;
	json_t *root = json_loadb(body, len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, NULL);
	if (!root || (!json_is_object(root) && !json_is_null(root))) {
		json_decref(root);
		return API_BODY_MALFORMED;
	}
	if (json_is_object(root)) {
		string_member(root, "subdomain", sub, sublen);
		string_member(root, "txt", txt, txtlen);
	}
	json_decref(root);
	return API_BODY_OK;
}

bool api_allowfrom_permits(const char *allowfrom_json, const struct sockaddr *client)
{
	if (!allowfrom_json || !*allowfrom_json)
		return true;
	json_t *root = json_loads(allowfrom_json, JSON_DECODE_ANY, NULL);
	if (!json_is_array(root)) {
		json_decref(root);
		return false;
	}
	size_t i, valid = 0;
	bool hit = false;
	json_t *v;
	json_array_foreach(root, i, v) {
		char clean[CIDR_TEXT_MAX];
		struct cidr c;
		if (!json_is_string(v) || allowfrom_entry(json_string_value(v), clean, sizeof(clean), &c) < 0)
			continue;
		valid++;
		if (client && cidr_contains(&c, client)) {
			hit = true;
			break;
		}
	}
	json_decref(root);
	return valid == 0 || hit;
}

/* True when s[0..n) is 1 to 5 decimal digits. */
static bool is_port(const char *s, size_t n)
{
	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Finds the address part of an entry: "[v6]", "[v6]:port", "v4:port" or a bare address. */
static int entry_host(const char *s, size_t len, const char **host, size_t *hlen)
{
	if (s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (!close)
			return -1;
		size_t rest = len - (size_t)(close + 1 - s);
		if (rest && (close[1] != ':' || !is_port(close + 2, rest - 1)))
			return -1;
		*host = s + 1;
		*hlen = (size_t)(close - s - 1);
		return 0;
	}
	const char *colon = memchr(s, ':', len);
	if (colon && !memchr(colon + 1, ':', len - (size_t)(colon + 1 - s))) {
		/* exactly one colon: IPv4 with a port */
		if (!is_port(colon + 1, len - (size_t)(colon + 1 - s)) || !memchr(s, '.', (size_t)(colon - s)))
			return -1;
		*hlen = (size_t)(colon - s);
	} else {
		*hlen = len;
	}
	*host = s;
	return 0;
}

int api_parse_forwarded_entry(const char *s, size_t len, struct sockaddr_storage *out)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *host;
	size_t hlen;
	while (len > 0 && is_ows(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_ows(s[len - 1]))
		len--;
	if (len == 0 || entry_host(s, len, &host, &hlen) < 0 || hlen == 0 || hlen >= sizeof(buf))
		return -1;
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	return netaddr_parse_ip(buf, out);
}

static void copy_sockaddr(const struct sockaddr *sa, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (sa && sa->sa_family == AF_INET)
		memcpy(out, sa, sizeof(struct sockaddr_in));
	else if (sa && sa->sa_family == AF_INET6)
		memcpy(out, sa, sizeof(struct sockaddr_in6));
}

static bool is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_ows(s[i]))
			return false;
	return true;
}

/* The right-to-left walk over one header instance. Returns 1 when the client is decided (out set),
 * -1 for an unparsable entry, 0 to go on to the instance before. */
static int walk_value(const char *v, const struct cidr *trusted, size_t n_trusted, struct sockaddr_storage *out,
		      struct sockaddr_storage *leftmost, bool *have_leftmost)
{
	size_t end = strlen(v);
	for (;;) {
		size_t start = end;
		while (start > 0 && v[start - 1] != ',')
			start--;
		if (!is_blank(v + start, end - start)) {
			struct sockaddr_storage a;
			if (api_parse_forwarded_entry(v + start, end - start, &a) < 0)
				return -1;
			if (!cidr_list_contains(trusted, n_trusted, (const struct sockaddr *)&a)) {
				*out = a;
				return 1;
			}
			*leftmost = a;
			*have_leftmost = true;
		}
		if (start == 0)
			return 0;
		end = start - 1;
	}
}

enum api_client_source api_client_address(const struct sockaddr *peer, const char *const *values, size_t n,
					  const struct cidr *trusted, size_t n_trusted,
					  struct sockaddr_storage *out)
{
	copy_sockaddr(peer, out);
	if (!peer || n == 0 || !cidr_list_contains(trusted, n_trusted, peer))
		return API_CLIENT_PEER;
	struct sockaddr_storage leftmost;
	bool have_leftmost = false;
	for (size_t i = n; i-- > 0;) {
		int rc = values[i] ? walk_value(values[i], trusted, n_trusted, out, &leftmost, &have_leftmost) : 0;
		if (rc > 0)
			return API_CLIENT_FORWARDED;
		if (rc < 0) {
			memset(out, 0, sizeof(*out));
			return API_CLIENT_UNKNOWN;
		}
	}
	if (!have_leftmost)
		return API_CLIENT_PEER;
	*out = leftmost;   /* every hop is a trusted proxy: the first of them made the request */
	return API_CLIENT_FORWARDED;
}

/* ---- rate limiter ---- */

#define RL_WAYS 8
#define RL_KEY  9   /* family tag + 4 (IPv4) or 8 (IPv6 /64) address bytes */

struct rl_slot {
	uint8_t key[RL_KEY];
	bool used;
	double tokens;
	int64_t last_ms;
};

struct api_ratelimit {
	double capacity;
	double per_ms;          /* tokens regained per millisecond */
	size_t nsets;
	uint64_t seed;
	struct rl_slot slots[];
};

struct api_ratelimit *api_ratelimit_new(uint32_t per_minute, size_t slots, uint64_t seed)
{
	if (per_minute == 0)
		return NULL;
	size_t nsets = slots / RL_WAYS ? slots / RL_WAYS : 1;
	struct api_ratelimit *rl = calloc(1, sizeof(*rl) + nsets * RL_WAYS * sizeof(struct rl_slot));
	if (!rl)
		return NULL;
	rl->capacity = per_minute;
	rl->per_ms = per_minute / 60000.0;
	rl->nsets = nsets;
	rl->seed = seed;
	return rl;
}

void api_ratelimit_free(struct api_ratelimit *rl)
{
	free(rl);
}

/* IPv4 (also IPv4-mapped IPv6) by address, IPv6 by its /64: one host usually owns a whole /64. */
static void rl_key(const struct sockaddr *sa, uint8_t key[RL_KEY])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	memset(key, 0, RL_KEY);
	if (sa && sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		bool v4 = memcmp(a, mapped, sizeof(mapped)) == 0;
		key[0] = v4 ? 4 : 6;
		memcpy(key + 1, v4 ? a + 12 : a, v4 ? 4 : 8);
	}
}

static uint64_t rl_hash(const uint8_t *k, size_t n, uint64_t seed)
{
	uint64_t h = seed ^ 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= k[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 30;   /* splitmix64 finaliser: spreads the FNV state over every bit */
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static double rl_refilled(const struct api_ratelimit *rl, const struct rl_slot *s, int64_t now_ms)
{
	double t = s->tokens;
	if (now_ms > s->last_ms)
		t += (double)(now_ms - s->last_ms) * rl->per_ms;
	return t > rl->capacity ? rl->capacity : t;
}

/* The slot of key in its set; a new key takes a free slot, else one whose bucket is full again (forgetting
 * it loses nothing), else the least recently used one. */
static struct rl_slot *rl_slot_for(struct api_ratelimit *rl, const uint8_t key[RL_KEY], int64_t now_ms)
{
	struct rl_slot *set = rl->slots + (rl_hash(key, RL_KEY, rl->seed) % rl->nsets) * RL_WAYS;
	struct rl_slot *victim = NULL;
	bool victim_idle = false;
	for (size_t i = 0; i < RL_WAYS; i++) {
		struct rl_slot *s = &set[i];
		if (s->used && memcmp(s->key, key, RL_KEY) == 0)
			return s;
		bool idle = !s->used || rl_refilled(rl, s, now_ms) >= rl->capacity;
		if (!victim || (idle && !victim_idle) || (idle == victim_idle && s->last_ms < victim->last_ms)) {
			victim = s;
			victim_idle = idle;
		}
	}
	memcpy(victim->key, key, RL_KEY);
	victim->used = true;
	victim->tokens = rl->capacity;
	victim->last_ms = now_ms;
	return victim;
}

bool api_ratelimit_take(struct api_ratelimit *rl, const struct sockaddr *client, int64_t now_ms,
			uint32_t *retry_after)
{
	if (!rl)
		return true;
	uint8_t key[RL_KEY];
	rl_key(client, key);
	struct rl_slot *s = rl_slot_for(rl, key, now_ms);
	s->tokens = rl_refilled(rl, s, now_ms);
	if (now_ms > s->last_ms)
		s->last_ms = now_ms;
	if (s->tokens >= 1.0) {
		s->tokens -= 1.0;
		return true;
	}
	if (retry_after) {
		double secs = (1.0 - s->tokens) / rl->per_ms / 1000.0;
		uint32_t whole = (uint32_t)secs;
		*retry_after = (double)whole < secs ? whole + 1 : (whole ? whole : 1);
	}
	return false;
}
