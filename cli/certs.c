/* Certificate files and meta.json in the state directory, and the renewal decision (RFC 9773 section 4.2). */
#include "certs.h"

#include "key.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- times ---------- */

char *cli_time_format(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "?");
	return buf;
}

int cli_time_parse(const char *s, time_t *t)
{
	struct tm tm = { 0 };
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	if (!end || *end)
		return -1;
	*t = timegm(&tm);
	return 0;
}

/* ---------- meta.json ---------- */

static int set_time(json_t *o, const char *key, time_t t)
{
	char buf[32];
	return t ? json_object_set_new(o, key, json_string(cli_time_format(t, buf, sizeof(buf)))) : 0;
}

static int set_str(json_t *o, const char *key, const char *s)
{
	return json_object_set_new(o, key, s ? json_string(s) : json_null());
}

json_t *cli_meta_to_json(const struct cli_cert_meta *m)
{
	json_t *o = json_object(), *names = json_array();
	int rc = (o && names) ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < m->n_names; i++)
		rc = json_array_append_new(names, json_string(m->names[i]));
	if (rc == 0)
		rc = json_object_set(o, "names", names);
	rc |= set_str(o, "key_type", m->key_type) | set_str(o, "server", m->server) | set_str(o, "ari_id", m->ari_id) |
	      set_str(o, "serial", m->serial);
	rc |= set_time(o, "not_before", m->not_before) | set_time(o, "not_after", m->not_after) |
	      set_time(o, "issued", m->issued);
	if (m->profile)
		rc |= set_str(o, "profile", m->profile);
	if (m->preferred_chain)
		rc |= set_str(o, "preferred_chain", m->preferred_chain);
	if (m->revoked)
		rc |= set_time(o, "revoked", m->revoked) |
		      json_object_set_new(o, "revoked_reason", json_integer(m->revoked_reason));
	json_decref(names);
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct meta_reader {
	const json_t *j;
	char *err;
	size_t errlen;
	int failed;             /* the first error sticks */
};

/* A string member into *dst (NULL when absent or null). required: absent is an error. */
static void read_str(struct meta_reader *r, const char *key, char **dst, int required)
{
	const json_t *v = json_object_get(r->j, key);
	if (r->failed || ((!v || json_is_null(v)) && !required))
		return;
	if (!json_is_string(v) || !(*dst = strdup(json_string_value(v)))) {
		snprintf(r->err, r->errlen, "meta.json: \"%s\" %s", key, v ? "is not a string" : "is missing");
		r->failed = 1;
	}
}

static void read_time(struct meta_reader *r, const char *key, time_t *dst, int required)
{
	const json_t *v = json_object_get(r->j, key);
	if (r->failed || (!v && !required))
		return;
	if (!json_is_string(v) || cli_time_parse(json_string_value(v), dst) < 0) {
		snprintf(r->err, r->errlen, "meta.json: \"%s\" %s", key, v ? "is not a time (YYYY-MM-DDTHH:MM:SSZ)"
									     : "is missing");
		r->failed = 1;
	}
}

static void read_names(struct meta_reader *r, struct cli_cert_meta *m)
{
	const json_t *a = json_object_get(r->j, "names");
	size_t n = json_array_size(a);
	if (!json_is_array(a) || n == 0 || n > CERT_MAX_NAMES) {
		snprintf(r->err, r->errlen, "meta.json: \"names\" must be a list of 1 to %d names", CERT_MAX_NAMES);
		r->failed = 1;
		return;
	}
	for (size_t i = 0; i < n && !r->failed; i++) {
		const json_t *v = json_array_get(a, i);
		if (!json_is_string(v) || !(m->names[i] = strdup(json_string_value(v)))) {
			snprintf(r->err, r->errlen, "meta.json: \"names\"[%zu] is not a string", i);
			r->failed = 1;
		} else {
			m->n_names = i + 1;
		}
	}
}

int cli_meta_from_json(const json_t *j, struct cli_cert_meta *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	struct meta_reader r = { j, err, errlen, 0 };
	if (!json_is_object(j)) {
		snprintf(err, errlen, "meta.json: not a JSON object");
		return -1;
	}
	read_names(&r, m);
	read_str(&r, "key_type", &m->key_type, 1);
	read_str(&r, "server", &m->server, 1);
	read_str(&r, "ari_id", &m->ari_id, 0);
	read_str(&r, "serial", &m->serial, 0);
	read_str(&r, "profile", &m->profile, 0);
	read_str(&r, "preferred_chain", &m->preferred_chain, 0);
	read_time(&r, "not_before", &m->not_before, 0);
	read_time(&r, "not_after", &m->not_after, 1);
	read_time(&r, "issued", &m->issued, 0);
	read_time(&r, "revoked", &m->revoked, 0);
	m->revoked_reason = (int)json_integer_value(json_object_get(j, "revoked_reason"));
	if (r.failed) {
		cli_meta_clear(m);
		return -1;
	}
	return 0;
}

void cli_meta_clear(struct cli_cert_meta *m)
{
	for (size_t i = 0; i < m->n_names; i++)
		free(m->names[i]);
	free(m->key_type);
	free(m->server);
	free(m->ari_id);
	free(m->serial);
	free(m->profile);
	free(m->preferred_chain);
	memset(m, 0, sizeof(*m));
}

/* ---------- files ---------- */

char *cli_cert_relpath(const char *name, const char *file)
{
	size_t n = sizeof("certificates//") + strlen(name) + (file ? strlen(file) : 0);
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "certificates/%s%s%s", name, file ? "/" : "", file ? file : "");
	return p;
}

int cli_cert_read_meta(struct state *st, const char *name, struct cli_cert_meta *m, char *err, size_t errlen)
{
	char *rel = cli_cert_relpath(name, "meta.json");
	size_t len = 0;
	char *text = rel ? state_read(st, rel, &len) : NULL;
	int saved = errno;
	free(rel);
	if (!text) {
		snprintf(err, errlen, "certificate %s: meta.json: %s", name,
			 saved == ENOENT ? "no such certificate in the state directory" : strerror(saved));
		errno = saved;
		return -1;
	}
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	free(text);
	if (!j) {
		snprintf(err, errlen, "certificate %s: meta.json:%d: %s", name, je.line, je.text);
		errno = EINVAL;
		return -1;
	}
	char why[256];
	int rc = cli_meta_from_json(j, m, why, sizeof(why));
	json_decref(j);
	if (rc < 0) {
		snprintf(err, errlen, "certificate %s: %s", name, why);
		errno = EINVAL;
	}
	return rc;
}

static int write_file(struct state *st, const char *name, const char *file, const void *data, size_t len,
		      mode_t mode, char *err, size_t errlen)
{
	char *rel = cli_cert_relpath(name, file);
	if (!rel) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = state_write(st, rel, data, len, mode, err, errlen);
	free(rel);
	return rc;
}

int cli_cert_write_meta(struct state *st, const char *name, const struct cli_cert_meta *m, char *err,
			size_t errlen)
{
	json_t *j = cli_meta_to_json(m);
	char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!text) {
		snprintf(err, errlen, "certificate %s: meta.json: out of memory", name);
		return -1;
	}
	size_t len = strlen(text);
	int rc = write_file(st, name, "meta.json", text, len, 0644, err, errlen);
	free(text);
	return rc;
}

static int write_key(struct state *st, const char *name, EVP_PKEY *key, char *err, size_t errlen)
{
	size_t len = 0;
	char *pem = key_to_pem(key, &len);
	if (!pem) {
		snprintf(err, errlen, "certificate %s: cannot encode the private key", name);
		return -1;
	}
	int rc = write_file(st, name, "privkey.pem", pem, len, 0600, err, errlen);
	OPENSSL_cleanse(pem, len);
	free(pem);
	return rc;
}

int cli_cert_write(struct state *st, const char *name, const char *fullchain, EVP_PKEY *key,
		   const struct cli_cert_meta *m, char *err, size_t errlen)
{
	char *leaf = NULL, *rest = NULL;
	size_t len = strlen(fullchain);
	if (cert_split_chain(fullchain, len, &leaf, &rest) < 0) {
		snprintf(err, errlen, "certificate %s: the CA's answer holds no certificate", name);
		return -1;
	}
	int rc = write_key(st, name, key, err, errlen);
	if (rc == 0)
		rc = write_file(st, name, "cert.pem", leaf, strlen(leaf), 0644, err, errlen);
	if (rc == 0)
		rc = write_file(st, name, "chain.pem", rest, strlen(rest), 0644, err, errlen);
	if (rc == 0)
		rc = write_file(st, name, "fullchain.pem", fullchain, len, 0644, err, errlen);
	if (rc == 0)
		rc = cli_cert_write_meta(st, name, m, err, errlen);
	free(leaf);
	free(rest);
	return rc;
}

EVP_PKEY *cli_cert_load_key(struct state *st, const char *name)
{
	char *rel = cli_cert_relpath(name, "privkey.pem");
	size_t len = 0;
	char *pem = rel ? state_read(st, rel, &len) : NULL;
	int saved = errno;
	free(rel);
	if (!pem) {
		errno = saved;
		return NULL;
	}
	EVP_PKEY *key = key_from_pem(pem, len);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (!key)
		errno = EINVAL;
	return key;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends name to the growing list. Returns 0 or -1. */
static int list_push(char ***names, int *n, int *cap, const char *name)
{
	if (*n == *cap) {
		int ncap = *cap ? *cap * 2 : 16;
		char **p = realloc(*names, (size_t)ncap * sizeof(*p));
		if (!p)
			return -1;
		*names = p;
		*cap = ncap;
	}
	if (!((*names)[*n] = strdup(name)))
		return -1;
	(*n)++;
	return 0;
}

int cli_cert_list(struct state *st, char ***names, char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/certificates", state_path(st));
	*names = NULL;
	DIR *d = opendir(path);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	int n = 0, cap = 0, rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		char *rel = e->d_name[0] != '.' ? cli_cert_relpath(e->d_name, "meta.json") : NULL;
		if (rel && state_exists(st, rel))
			rc = list_push(names, &n, &cap, e->d_name);
		free(rel);
	}
	closedir(d);
	if (rc < 0) {
		cli_cert_names_free(*names, n);
		*names = NULL;
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (n > 1)
		qsort(*names, (size_t)n, sizeof(**names), name_cmp);
	return n;
}

void cli_cert_names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* ---------- when to renew ---------- */

void cli_due(const struct cli_due_in *in, struct cli_due_out *out)
{
	out->due = false;
	if (in->force) {
		out->due = true, out->when = in->now, out->why = "forced";
		return;
	}
	if (in->now >= in->not_after) {
		out->due = true, out->when = in->not_after, out->why = "expired";
		return;
	}
	if (in->have_window && in->window_end > in->window_start) {
		double pick = in->pick < 0 ? 0 : (in->pick >= 1 ? 0.999999 : in->pick);
		out->when = in->window_start + (time_t)(pick * (double)(in->window_end - in->window_start));
		out->due = in->now >= out->when || in->now >= in->window_end;
		out->why = "renewalInfo window";
		return;
	}
	if (in->have_window) {
		/* A window that ends where it starts (or before): its start is the time. */
		out->when = in->window_start;
		out->due = in->now >= out->when;
		out->why = "renewalInfo window";
		return;
	}
	/* "Fewer than N days remain": exactly N days left is not due yet. */
	out->when = in->not_after - (time_t)in->days * 86400;
	out->due = in->now > out->when;
	out->why = "fewer than --days days left";
}

double cli_due_random(void)
{
	uint64_t r;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		return 0.5;
	return (double)(r >> 11) / (double)(UINT64_C(1) << 53);
}
