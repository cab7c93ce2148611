/* The acme-dns adapter: accounts per domain in lego's JSON storage file, challenge values through /update. */
#include "acmedns.h"

#include "log.h"
#include "secretfile.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define AD_STORAGE_MAX (4L << 20)       /* a storage file larger than this is refused */
#define AD_URL_MAX 2048
#define AD_NAME_MAX 256                 /* domain names, CNAME targets */
#define AD_CRED_MAX 256                 /* usernames and passwords */
#define AD_SERVER_ERR_MAX 80            /* how much of the server's error string is quoted */

/* One account, as lego's storage (goacmedns.Account) keeps it. */
struct ad_account {
	char *fulldomain;
	char *subdomain;
	char *username;
	char *password;
	char *server_url;               /* "" in files written before goacmedns had it */
};

struct ad_priv {
	struct acmedns_options o;       /* o.api_url and o.storage_path point at the copies below */
	char *api_url;
	char *storage_path;
};

static const struct dnscheck_opts ad_dns_defaults;

static void ad_account_clear(struct ad_account *a)
{
	if (a->password)
		explicit_bzero(a->password, strlen(a->password));
	free(a->fulldomain);
	free(a->subdomain);
	free(a->username);
	free(a->password);
	free(a->server_url);
	memset(a, 0, sizeof *a);
}

/* Appends to errbuf (the NEEDS_SETUP message lists every record that is missing). */
static void ad_append(char *errbuf, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void ad_append(char *errbuf, size_t errlen, const char *fmt, ...)
{
	size_t used = strnlen(errbuf, errlen);
	va_list ap;

	if (used + 1 >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf + used, errlen - used, fmt, ap);
	va_end(ap);
}

/* The storage key of a domain: lower case, without "*." and the trailing dot. Returns -1 when empty or long. */
static int ad_domain_key(const char *domain, char *out, size_t outlen)
{
	size_t len;

	if (!domain)
		return -1;
	if (strncmp(domain, "*.", 2) == 0)
		domain += 2;
	len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len >= outlen)
		return -1;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(domain[i] >= 'A' && domain[i] <= 'Z' ? domain[i] - 'A' + 'a' : domain[i]);
	out[len] = '\0';
	return 0;
}

/* Names equal ignoring case and one trailing dot. */
static bool ad_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* ---- the storage file ---- */

/* Loads the storage as a JSON object; a missing or empty file is an empty object. */
static json_t *ad_storage_load(const char *path, char *errbuf, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	json_error_t jerr;
	json_t *root = NULL;

	if (fd < 0 && errno == ENOENT)
		return json_object();
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(errbuf, errlen, "acme-dns storage %s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode) || st.st_size > AD_STORAGE_MAX) {
		snprintf(errbuf, errlen, "acme-dns storage %s: not a regular file under %ld bytes", path,
			 AD_STORAGE_MAX);
	} else if (secret_fd_check(fd, path, errbuf, errlen) != 0) {
		/* it holds the accounts' API keys */
	} else if (st.st_size == 0) {
		root = json_object();
	} else if (!(root = json_loadfd(fd, 0, &jerr))) {
		snprintf(errbuf, errlen, "acme-dns storage %s:%d: %s", path, jerr.line, jerr.text);
	} else if (!json_is_object(root)) {
		snprintf(errbuf, errlen, "acme-dns storage %s: expected a JSON object of accounts by domain", path);
		json_decref(root);
		root = NULL;
	} else if (st.st_mode & 070) {
		log_warn("acme-dns storage %s holds API keys but its group may read it (mode %04o): chmod 600 it", path,
			 (unsigned)(st.st_mode & 07777));
	}
	if (fd >= 0)
		close(fd);
	return root;
}

/* A member by name, ignoring case as Go's encoding/json does when goacmedns reads the file. */
static json_t *ad_member(json_t *obj, const char *name)
{
	const char *k;
	json_t *v = json_object_get(obj, name);

	if (v)
		return v;
	json_object_foreach(obj, k, v)
		if (strcasecmp(k, name) == 0)
			return v;
	return NULL;
}

/* The entry for key: the exact member, else one that differs only in case or a trailing dot. */
static json_t *ad_storage_find(json_t *root, const char *key)
{
	const char *k;
	json_t *v = json_object_get(root, key);

	if (v)
		return v;
	json_object_foreach(root, k, v)
		if (ad_name_eq(k, key))
			return v;
	return NULL;
}

static int ad_take_string(json_t *obj, const char *name, bool required, char **out)
{
	json_t *v = ad_member(obj, name);
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	/* null reads as "", as Go leaves the field empty */
	if ((required && !*s) || (v && !json_is_string(v) && !json_is_null(v)) || strlen(s) >= AD_CRED_MAX ||
	    strpbrk(s, "\r\n"))
		return -1;
	*out = strdup(s);
	return *out ? 0 : -1;
}

/* Reads one account object. Names the bad member in errbuf, never its value. */
static int ad_account_from_json(json_t *obj, struct ad_account *a, const char *what, char *errbuf, size_t errlen)
{
	static const char *const names[] = { "fulldomain", "subdomain", "username", "password", "server_url" };
	char **slots[] = { &a->fulldomain, &a->subdomain, &a->username, &a->password, &a->server_url };

	memset(a, 0, sizeof *a);
	if (!json_is_object(obj)) {
		snprintf(errbuf, errlen, "%s: the account is not a JSON object", what);
		return -1;
	}
	for (size_t i = 0; i < 5; i++) {
		if (ad_take_string(obj, names[i], i < 4, slots[i]) != 0) {
			snprintf(errbuf, errlen, "%s: \"%s\" is missing, not a string, too long or holds a line break",
				 what, names[i]);
			ad_account_clear(a);
			return -1;
		}
	}
	return 0;
}

/* Loads key's account from root. Returns 1 with a filled, 0 when there is none, -1 on a broken entry. */
static int ad_storage_account(json_t *root, const char *path, const char *key, struct ad_account *a, char *errbuf,
			      size_t errlen)
{
	json_t *e = ad_storage_find(root, key);
	char what[AD_NAME_MAX + PATH_MAX + 32];

	memset(a, 0, sizeof *a);
	if (!e)
		return 0;
	snprintf(what, sizeof what, "acme-dns storage %s, account for %s", path, key);
	return ad_account_from_json(e, a, what, errbuf, errlen) == 0 ? 1 : -1;
}

static int ad_fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if ((size_t)(slash - path) >= sizeof dir)
		return -1;
	else
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Writes root to path atomically: a 0600 temporary file beside it, fsync, rename, fsync of the directory. */
static int ad_storage_save(const char *path, const json_t *root, char *errbuf, size_t errlen)
{
	char tmp[PATH_MAX];
	int fd, rc = -1;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= sizeof tmp) {
		snprintf(errbuf, errlen, "acme-dns storage %s: path too long", path);
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		snprintf(errbuf, errlen, "acme-dns storage %s: cannot create a temporary file: %s", path,
			 strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) == 0 && json_dumpfd(root, fd, JSON_INDENT(2)) == 0 && write(fd, "\n", 1) == 1 &&
	    fsync(fd) == 0)
		rc = 0;
	if (close(fd) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0) {
		snprintf(errbuf, errlen, "acme-dns storage %s: cannot write: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (ad_fsync_dir(path) != 0)
		log_warn("acme-dns storage %s: fsync of its directory: %s", path, strerror(errno));
	return 0;
}

/* Adds key's account to root in goacmedns's member order. */
static int ad_storage_put(json_t *root, const char *key, const struct ad_account *a)
{
	json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s}", "fulldomain", a->fulldomain, "subdomain", a->subdomain,
			      "username", a->username, "password", a->password, "server_url", a->server_url);

	return e ? json_object_set_new(root, key, e) : -1;
}

/* ---- the HTTP API ---- */

static int ad_url(const char *base, const char *path, char *out, size_t outlen, char *errbuf, size_t errlen)
{
	size_t len = strlen(base);

	while (len > 0 && base[len - 1] == '/')
		len--;
	if (len == 0 || (size_t)snprintf(out, outlen, "%.*s%s", (int)len, base, path) >= outlen) {
		snprintf(errbuf, errlen, "acme-dns: API URL empty or too long");
		return -1;
	}
	return 0;
}

/* The server's {"error": "..."} (or the start of its body), printable, and never the key we sent. */
static void ad_server_error(const struct http_response *r, const char *secret, char *out, size_t outlen)
{
	json_t *j = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
	json_t *e = j ? ad_member(j, "error") : NULL;
	const char *s = json_is_string(e) ? json_string_value(e) : (r->body ? r->body : "");
	size_t k = 0;

	for (size_t i = 0; s[i] && k + 1 < outlen && i < AD_SERVER_ERR_MAX; i++)
		out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[k] = '\0';
	if (k == 0)
		snprintf(out, outlen, "(no error text)");
	if (secret && *secret && (strstr(out, secret) || strstr(s, secret)))
		snprintf(out, outlen, "(error text withheld: it holds the API key)");
	json_decref(j);
}

/* POST /register. Fills a (server_url = base) or returns -1 with errbuf set. */
static int ad_api_register(struct http_client *http, const char *base, struct ad_account *a, char *errbuf,
			   size_t errlen)
{
	char url[AD_URL_MAX], err[AD_SERVER_ERR_MAX + 48];
	struct http_response r;
	json_t *j = NULL;
	int rc = -1;

	memset(a, 0, sizeof *a);
	if (ad_url(base, "/register", url, sizeof url, errbuf, errlen) != 0)
		return -1;
	if (http_request(http, "POST", url, NULL, NULL, 0, NULL, &r, err, sizeof err) != 0) {
		snprintf(errbuf, errlen, "acme-dns: %s", err);
		return -1;
	}
	if (r.status != 201 && r.status != 200) {
		ad_server_error(&r, NULL, err, sizeof err);
		snprintf(errbuf, errlen, "acme-dns: POST %s: HTTP %ld %s", url, r.status, err);
	} else if (!(j = json_loadb(r.body, r.body_len, 0, NULL))) {
		snprintf(errbuf, errlen, "acme-dns: POST %s: the answer is not JSON", url);
	} else if (ad_account_from_json(j, a, "acme-dns: the /register answer", errbuf, errlen) == 0) {
		free(a->server_url);
		if ((a->server_url = strdup(base)))
			rc = 0;
		else
			ad_account_clear(a);
	}
	json_decref(j);
	if (r.body)
		explicit_bzero(r.body, r.body_len);
	http_response_clear(&r);
	return rc;
}

/* The base URL for an account: the configured one, else the one it was registered at. */
static const char *ad_base(const struct acmedns_options *o, const struct ad_account *a, const char *key,
			   char *errbuf, size_t errlen)
{
	if (o->api_url && *o->api_url) {
		if (*a->server_url && !ad_name_eq(a->server_url, o->api_url))
			log_debug("acme-dns: account for %s was registered at %s; using %s", key, a->server_url,
				  o->api_url);
		return o->api_url;
	}
	if (*a->server_url)
		return a->server_url;
	snprintf(errbuf, errlen, "acme-dns: no API URL configured and the account for %s has no server_url", key);
	return NULL;
}

/* Builds the two credential headers; the caller wipes key_hdr. */
static int ad_cred_headers(const struct ad_account *a, char *user_hdr, char *key_hdr, size_t len)
{
	if ((size_t)snprintf(user_hdr, len, "X-Api-User: %s", a->username) >= len)
		return -1;
	if ((size_t)snprintf(key_hdr, len, "X-Api-Key: %s", a->password) >= len)
		return -1;
	return 0;
}

/* One /update call (POST publishes, DELETE removes). Returns the HTTP status, or -1 with errbuf set. */
static long ad_api_update(struct http_client *http, const char *base, const char *method,
			  const struct ad_account *a, const char *value, char *errbuf, size_t errlen)
{
	char url[AD_URL_MAX] = "", user_hdr[AD_CRED_MAX + 16], key_hdr[AD_CRED_MAX + 16], err[AD_SERVER_ERR_MAX + 48];
	const char *hdrs[] = { user_hdr, key_hdr, NULL };
	json_t *body = json_pack("{s:s, s:s}", "subdomain", a->subdomain, "txt", value);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct http_response r;
	long status = -1;

	json_decref(body);
	if (ad_url(base, "/update", url, sizeof url, errbuf, errlen) != 0) {
		/* errbuf is set */
	} else if (!text || ad_cred_headers(a, user_hdr, key_hdr, sizeof user_hdr) != 0) {
		snprintf(errbuf, errlen, "acme-dns: cannot build the /update request");
	} else if (http_request(http, method, url, "application/json", text, strlen(text), hdrs, &r, err,
				sizeof err) != 0) {
		snprintf(errbuf, errlen, "acme-dns: %s", err);
	} else {
		status = r.status;
		if (status != 200) {
			ad_server_error(&r, a->password, err, sizeof err);
			snprintf(errbuf, errlen, "acme-dns: %s %s (subdomain %s): HTTP %ld %s", method, url,
				 a->subdomain, status, err);
		}
		http_response_clear(&r);
	}
	explicit_bzero(key_hdr, sizeof key_hdr);
	free(text);
	return status;
}

/* ---- registration ---- */

/* Registers key at o->api_url and saves the account in root and the file. */
static int ad_register_save(const struct acmedns_options *o, json_t *root, const char *key, struct ad_account *a,
			    char *errbuf, size_t errlen)
{
	if (!o->api_url || !*o->api_url) {
		snprintf(errbuf, errlen, "acme-dns: registering %s needs the API URL", key);
		return -1;
	}
	if (ad_api_register(o->http, o->api_url, a, errbuf, errlen) != 0)
		return -1;
	if (ad_storage_put(root, key, a) != 0 || ad_storage_save(o->storage_path, root, errbuf, errlen) != 0) {
		if (!errbuf[0])
			snprintf(errbuf, errlen, "out of memory");
		ad_append(errbuf, errlen, " (the account registered for %s, subdomain %s, is not saved)", key,
			  a->subdomain);
		ad_account_clear(a);
		return -1;
	}
	log_info("acme-dns: registered an account for %s at %s: subdomain %s, CNAME target %s", key, o->api_url,
		 a->subdomain, a->fulldomain);
	return 0;
}

static int ad_options_check(const struct acmedns_options *o, char *errbuf, size_t errlen)
{
	if (!o || !o->storage_path || !*o->storage_path || !o->http) {
		snprintf(errbuf, errlen, "acme-dns: a storage file and an HTTP client are required");
		return -1;
	}
	if (o->api_url && strncmp(o->api_url, "http://", 7) != 0 && strncmp(o->api_url, "https://", 8) != 0) {
		snprintf(errbuf, errlen, "acme-dns: the API URL must start with http:// or https://");
		return -1;
	}
	return 0;
}

int acmedns_register(const struct acmedns_options *o, const char *domain, char *cname, size_t cname_len,
		     char *errbuf, size_t errlen)
{
	char key[AD_NAME_MAX];
	struct ad_account a;
	json_t *root;
	int rc;

	errbuf[0] = '\0';
	if (ad_options_check(o, errbuf, errlen) != 0)
		return -1;
	if (ad_domain_key(domain, key, sizeof key) != 0) {
		snprintf(errbuf, errlen, "acme-dns: \"%s\" is not a domain name", domain ? domain : "(null)");
		return -1;
	}
	if (!(root = ad_storage_load(o->storage_path, errbuf, errlen)))
		return -1;
	rc = ad_storage_account(root, o->storage_path, key, &a, errbuf, errlen);
	if (rc == 0)
		rc = ad_register_save(o, root, key, &a, errbuf, errlen) == 0 ? 1 : -1;
	else if (rc == 1)
		rc = 0;
	if (rc >= 0) {
		size_t need = (size_t)snprintf(cname, cname_len, "_acme-challenge.%s. CNAME %s.", key, a.fulldomain);
		if (need >= cname_len) {
			snprintf(errbuf, errlen, "acme-dns: the CNAME record does not fit the buffer");
			rc = -1;
		}
		ad_account_clear(&a);
	}
	json_decref(root);
	return rc;
}

int acmedns_fulldomain(const char *storage_path, const char *domain, char *out, size_t outlen, char *errbuf,
		       size_t errlen)
{
	char key[AD_NAME_MAX];
	struct ad_account a;
	json_t *root;
	int rc;

	if (!storage_path || ad_domain_key(domain, key, sizeof key) != 0) {
		snprintf(errbuf, errlen, "acme-dns: a domain and a storage file are required");
		return -1;
	}
	if (!(root = ad_storage_load(storage_path, errbuf, errlen)))
		return -1;
	rc = ad_storage_account(root, storage_path, key, &a, errbuf, errlen);
	json_decref(root);
	if (rc == 1 && strlen(a.fulldomain) >= outlen) {
		snprintf(errbuf, errlen, "acme-dns storage %s: the fulldomain of %s is too long", storage_path, key);
		rc = -1;
	} else if (rc == 1) {
		size_t n = strlen(a.fulldomain);
		memcpy(out, a.fulldomain, n + 1);
		if (n > 1 && out[n - 1] == '.')
			out[n - 1] = '\0';
	}
	ad_account_clear(&a);
	return rc;
}

int acmedns_update(const struct acmedns_options *o, const char *domain, const char *value, char *errbuf,
		   size_t errlen)
{
	char key[AD_NAME_MAX];
	struct ad_account a;
	const char *base;
	json_t *root;
	int rc;

	errbuf[0] = '\0';
	if (ad_options_check(o, errbuf, errlen) != 0)
		return -1;
	if (ad_domain_key(domain, key, sizeof key) != 0 || !value) {
		snprintf(errbuf, errlen, "acme-dns: a domain and a value are required");
		return -1;
	}
	if (!(root = ad_storage_load(o->storage_path, errbuf, errlen)))
		return -1;
	rc = ad_storage_account(root, o->storage_path, key, &a, errbuf, errlen);
	json_decref(root);
	if (rc == 0)
		snprintf(errbuf, errlen, "acme-dns: no account for %s in %s: run `acme-dns-cli register -d %s`", key,
			 o->storage_path, key);
	if (rc != 1)
		return -1;
	base = ad_base(o, &a, key, errbuf, errlen);
	rc = base && ad_api_update(o->http, base, "POST", &a, value, errbuf, errlen) == 200 ? 0 : -1;
	if (rc == 0)
		log_info("acme-dns: set TXT of %s (subdomain %s)", key, a.subdomain);
	ad_account_clear(&a);
	return rc;
}

/* ---- the solver ---- */

/* Loads (or registers) the account of every record. Returns 0, -1, or SOLVER_NEEDS_SETUP with errbuf listing
 * what the user must do. */
static int ad_present_accounts(const struct acmedns_options *o, json_t *root, const struct solver_record *recs,
			       size_t n, struct ad_account *accts, char *errbuf, size_t errlen)
{
	bool setup = false;

	for (size_t i = 0; i < n; i++) {
		char key[AD_NAME_MAX];
		int rc;
		if (ad_domain_key(recs[i].domain, key, sizeof key) != 0 || !recs[i].fqdn || !recs[i].value) {
			snprintf(errbuf, errlen, "acme-dns: record %zu lacks a domain, name or value", i);
			return -1;
		}
		rc = ad_storage_account(root, o->storage_path, key, &accts[i], errbuf, errlen);
		if (rc < 0)
			return -1;
		if (rc == 1)
			continue;
		if (!o->allow_register) {
			ad_append(errbuf, errlen,
				  "%sno acme-dns account for %s in %s: run `acme-dns-cli register -d %s` "
				  "and create the CNAME it prints", setup ? "\n" : "", key, o->storage_path, key);
		} else {
			char err[512] = "";
			if (ad_register_save(o, root, key, &accts[i], err, sizeof err) != 0) {
				snprintf(errbuf, errlen, "%s", err);
				return -1;
			}
			ad_append(errbuf, errlen,
				  "%sregistered a new acme-dns account for %s; create this record, then run again: "
				  "%s. CNAME %s.", setup ? "\n" : "", key, recs[i].fqdn, accts[i].fulldomain);
		}
		setup = true;
	}
	return setup ? SOLVER_NEEDS_SETUP : 0;
}

/* Checks that each challenge name is a CNAME to its account's fulldomain. */
static int ad_present_cnames(const struct acmedns_options *o, const struct solver_record *recs, size_t n,
			     const struct ad_account *accts, char *errbuf, size_t errlen)
{
	const struct dnscheck_opts *dns = o->dns ? o->dns : &ad_dns_defaults;
	bool setup = false;

	for (size_t i = 0; i < n; i++) {
		char target[AD_NAME_MAX], err[512];
		bool dup = false;
		int rc;
		for (size_t j = 0; j < i && !dup; j++)
			dup = ad_name_eq(recs[j].fqdn, recs[i].fqdn);
		if (dup)
			continue;
		rc = dnscheck_cname(dns, recs[i].fqdn, target, sizeof target, err, sizeof err);
		if (rc < 0) {
			snprintf(errbuf, errlen, "acme-dns: cannot check the CNAME at %s: %s", recs[i].fqdn, err);
			return -1;
		}
		if (rc == 1 && ad_name_eq(target, accts[i].fulldomain))
			continue;
		if (rc == 1)
			ad_append(errbuf, errlen, "%s%s is a CNAME to %s, not to the acme-dns account's name; change it"
				  " to: %s. CNAME %s.", setup ? "\n" : "", recs[i].fqdn, target, recs[i].fqdn,
				  accts[i].fulldomain);
		else
			ad_append(errbuf, errlen, "%s%s has no CNAME; create: %s. CNAME %s.", setup ? "\n" : "",
				  recs[i].fqdn, recs[i].fqdn, accts[i].fulldomain);
		setup = true;
	}
	return setup ? SOLVER_NEEDS_SETUP : 0;
}

static int ad_present_updates(const struct acmedns_options *o, const struct solver_record *recs, size_t n,
			      const struct ad_account *accts, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const char *base = ad_base(o, &accts[i], recs[i].domain, errbuf, errlen);
		if (!base || ad_api_update(o->http, base, "POST", &accts[i], recs[i].value, errbuf, errlen) != 200)
			return -1;
		log_info("acme-dns: published TXT for %s at %s (subdomain %s)", recs[i].fqdn, accts[i].fulldomain,
			 accts[i].subdomain);
	}
	return 0;
}

static int ad_present(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	const struct acmedns_options *o = &((struct ad_priv *)s->priv)->o;
	struct ad_account *accts = calloc(n ? n : 1, sizeof *accts);
	json_t *root = NULL;
	int rc = -1;

	errbuf[0] = '\0'; /* the setup messages are appended */
	if (!accts)
		snprintf(errbuf, errlen, "out of memory");
	else if ((root = ad_storage_load(o->storage_path, errbuf, errlen)))
		rc = ad_present_accounts(o, root, recs, n, accts, errbuf, errlen);
	if (rc == 0 && !o->skip_cname_check)
		rc = ad_present_cnames(o, recs, n, accts, errbuf, errlen);
	if (rc == 0)
		rc = ad_present_updates(o, recs, n, accts, errbuf, errlen);
	for (size_t i = 0; accts && i < n; i++)
		ad_account_clear(&accts[i]);
	free(accts);
	json_decref(root);
	return rc;
}

/* Removes one record's value. A server without DELETE /update (404/405) is fine: values age out there. */
static int ad_cleanup_one(const struct acmedns_options *o, json_t *root, const struct solver_record *rec,
			  char *errbuf, size_t errlen)
{
	char key[AD_NAME_MAX];
	struct ad_account a;
	const char *base;
	long status = -1;
	int rc;

	if (ad_domain_key(rec->domain, key, sizeof key) != 0 || !rec->value) {
		snprintf(errbuf, errlen, "acme-dns: a record lacks a domain or value");
		return -1;
	}
	rc = ad_storage_account(root, o->storage_path, key, &a, errbuf, errlen);
	if (rc <= 0) {
		if (rc == 0)
			log_debug("acme-dns: no account for %s, nothing to remove", key);
		return rc;
	}
	if ((base = ad_base(o, &a, key, errbuf, errlen)))
		status = ad_api_update(o->http, base, "DELETE", &a, rec->value, errbuf, errlen);
	if (status == 200)
		log_info("acme-dns: removed TXT for %s (subdomain %s)", rec->fqdn, a.subdomain);
	else if (status == 404 || status == 405)
		log_debug("acme-dns: DELETE /update for %s answered %ld: value gone or not supported", key, status);
	ad_account_clear(&a);
	return status == 200 || status == 404 || status == 405 ? 0 : -1;
}

static int ad_cleanup(struct solver *s, const struct solver_record *recs, size_t n, char *errbuf, size_t errlen)
{
	const struct acmedns_options *o = &((struct ad_priv *)s->priv)->o;
	json_t *root = ad_storage_load(o->storage_path, errbuf, errlen);
	int first = 0;

	if (!root)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char err[512] = "";
		if (ad_cleanup_one(o, root, &recs[i], err, sizeof err) == 0)
			continue;
		solver_error_keep(&first, err, errbuf, errlen);
	}
	json_decref(root);
	return first;
}

static void ad_destroy(struct solver *s)
{
	struct ad_priv *p = s->priv;

	if (p) {
		free(p->api_url);
		free(p->storage_path);
		free(p);
	}
	free(s);
}

static const struct solver_ops ad_ops = {
	.name = "acme-dns",
	.present = ad_present,
	.cleanup = ad_cleanup,
	.destroy = ad_destroy,
};

struct solver *solver_acmedns_new(const struct acmedns_options *o, char *errbuf, size_t errlen)
{
	struct solver *s;
	struct ad_priv *p;

	if (ad_options_check(o, errbuf, errlen) != 0)
		return NULL;
	s = calloc(1, sizeof *s);
	p = calloc(1, sizeof *p);
	if (s && p) {
		p->o = *o;
		p->storage_path = strdup(o->storage_path);
		p->api_url = o->api_url ? strdup(o->api_url) : NULL;
		p->o.storage_path = p->storage_path;
		p->o.api_url = p->api_url;
	}
	if (!s || !p || !p->storage_path || (o->api_url && !p->api_url)) {
		snprintf(errbuf, errlen, "out of memory");
		if (p)
			free(p->api_url), free(p->storage_path);
		free(p);
		free(s);
		return NULL;
	}
	s->ops = &ad_ops;
	s->caps = (struct solver_caps){ .appends = true, .batch_max = 0 };
	s->priv = p;
	s->where = p->api_url;
	return s;
}
