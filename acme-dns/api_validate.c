/* Pure request logic of the HTTP API: the checks acme-dns makes and client address selection. */
#include "api_validate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
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
