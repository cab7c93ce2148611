/* Fuzz target: what the HTTP API parses from a request: the bodies of POST /register and POST /update, the
 * credentials and subdomain checks, the allowfrom list, and the proxy header's client address. The first byte picks
 * the parser, the rest is its input. */
#include "api_validate.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

static void fuzz_headers(const char *s, size_t len)
{
	/* A proxy header value split at commas, as evhttp hands the instances over. */
	const char *values[8];
	char *copy = strndup(s, len), *save = NULL;
	size_t n = 0;
	for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && n < 8; tok = strtok_r(NULL, ",", &save))
		values[n++] = tok;
	struct cidr trusted[2];
	size_t nt = 0;
	if (cidr_parse("127.0.0.0/8", &trusted[nt]) == 0)
		nt++;
	if (cidr_parse("::1/128", &trusted[nt]) == 0)
		nt++;
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(4711) };
	peer.sin_addr.s_addr = htonl(0x7f000001);
	struct sockaddr_storage out;
	api_client_address((const struct sockaddr *)&peer, values, n, trusted, nt, &out);
	for (size_t i = 0; i < n; i++)
		api_parse_forwarded_entry(values[i], strlen(values[i]), &out);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *s = (const char *)data + 1;
	size_t len = size - 1;
	char *z = strndup(s, len);          /* the NUL-terminated views the header checks get */
	if (!z)
		return 0;
	switch (data[0] % 4) {
	case 0: {
		json_t *allow = NULL;
		if (api_parse_register(s, len, &allow) == API_BODY_OK && allow) {
			char *text = json_dumps(allow, JSON_COMPACT);
			struct sockaddr_in c = { .sin_family = AF_INET };
			c.sin_addr.s_addr = htonl(0xc0000201);
			if (text)
				api_allowfrom_permits(text, (const struct sockaddr *)&c);
			free(text);
		}
		json_decref(allow);
		break;
	}
	case 1: {
		char sub[64], txt[64], canon[64];
		if (api_parse_update(s, len, sub, sizeof(sub), txt, sizeof(txt)) == API_BODY_OK) {
			api_valid_subdomain(sub);
			api_valid_txt(txt);
			api_uuid_canonical(sub, canon, sizeof(canon));
			api_same_subdomain(sub, canon);
		}
		break;
	}
	case 2: {
		char out[128], canon[64];
		api_valid_key(z);
		api_valid_subdomain(z);
		api_uuid_canonical(z, canon, sizeof(canon));
		api_trim_copy(z, out, sizeof(out));
		struct sockaddr_in6 c = { .sin6_family = AF_INET6 };
		api_allowfrom_permits(z, (const struct sockaddr *)&c);
		break;
	}
	default:
		fuzz_headers(s, len);
	}
	free(z);
	return 0;
}
