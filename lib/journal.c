/* The journal of created challenge records: one small JSON file per record in STATE/journal/, written atomically
 * (state_write) before the record is created, removed after its clean-up. */
#include "journal.h"

#include <jansson.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define JOURNAL_DIR "journal"

struct journal {
	struct state *st;
	unsigned counter;               /* makes ids unique within a run */
};

struct journal *journal_new(struct state *st)
{
	struct journal *j = calloc(1, sizeof(*j));
	if (j)
		j->st = st;
	return j;
}

void journal_free(struct journal *j)
{
	free(j);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

int journal_add(struct journal *j, const char *solver, const char *where, const struct solver_record *r,
		char *errbuf, size_t errlen)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char rel[128];
	/* Time first, so a plain sort of the names is the order of creation. */
	snprintf(rel, sizeof(rel), JOURNAL_DIR "/%010lld.%09ld-%ld-%u.json", (long long)now.tv_sec, now.tv_nsec,
		 (long)getpid(), j->counter++);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "solver", or_empty(solver), "where",
			      or_empty(where), "domain", or_empty(r->domain), "fqdn", or_empty(r->fqdn), "target",
			      or_empty(r->target ? r->target : r->fqdn), "zone", or_empty(r->zone), "value",
			      or_empty(r->value), "created", (json_int_t)now.tv_sec, "pid", (json_int_t)getpid());
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text) {
		snprintf(errbuf, errlen, "journal: out of memory");
		return -1;
	}
	int rc = state_write(j->st, rel, text, strlen(text), 0600, errbuf, errlen);
	free(text);
	return rc;
}

int journal_remove(struct journal *j, const char *id)
{
	char rel[128];
	if (!id || strchr(id, '/') || strlen(id) > 90)
		return -1;
	snprintf(rel, sizeof(rel), JOURNAL_DIR "/%s.json", id);
	return state_remove(j->st, rel);
}

static char *dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return strdup(s ? s : "");
}

/* Reads one entry file. Returns 0, or -1 when it cannot be read or is not an entry. */
static int entry_read(struct journal *j, const char *file, struct journal_entry *e)
{
	char rel[128];
	snprintf(rel, sizeof(rel), JOURNAL_DIR "/%s", file);
	char *text = state_read(j->st, rel, NULL);
	json_t *o = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!json_is_object(o) || !json_is_string(json_object_get(o, "value")) ||
	    !json_is_string(json_object_get(o, "solver"))) {
		json_decref(o);
		return -1;
	}
	memset(e, 0, sizeof(*e));
	snprintf(e->id, sizeof(e->id), "%.*s", (int)(strlen(file) - 5), file);
	e->solver = dup_str(o, "solver");
	e->where = dup_str(o, "where");
	e->domain = dup_str(o, "domain");
	e->fqdn = dup_str(o, "fqdn");
	e->target = dup_str(o, "target");
	e->zone = dup_str(o, "zone");
	e->value = dup_str(o, "value");
	e->created = json_integer_value(json_object_get(o, "created"));
	e->pid = (long)json_integer_value(json_object_get(o, "pid"));
	json_decref(o);
	if (!e->solver || !e->where || !e->domain || !e->fqdn || !e->target || !e->zone || !e->value) {
		free(e->solver), free(e->where), free(e->domain), free(e->fqdn), free(e->target), free(e->zone),
			free(e->value);
		return -1;
	}
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entry file names, sorted. Returns the count, or -1 (no directory yet is 0). */
static long entry_files(struct journal *j, char ***out)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/" JOURNAL_DIR, state_path(j->st));
	*out = NULL;
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || len > 90 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nn = realloc(names, ncap * sizeof(*nn));
			if (!nn)
				break;
			names = nn;
			cap = ncap;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	*out = names;
	return (long)n;
}

static void files_free(char **names, long n)
{
	for (long i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int journal_list(struct journal *j, struct journal_entry **out, size_t *n, char *errbuf, size_t errlen)
{
	char **names;
	long nf = entry_files(j, &names);
	*out = NULL;
	*n = 0;
	if (errlen)
		errbuf[0] = '\0';
	if (nf < 0) {
		snprintf(errbuf, errlen, "journal %s/" JOURNAL_DIR ": %s", state_path(j->st), strerror(errno));
		return -1;
	}
	struct journal_entry *e = nf ? calloc((size_t)nf, sizeof(*e)) : NULL;
	if (nf && !e) {
		files_free(names, nf);
		snprintf(errbuf, errlen, "journal: out of memory");
		return -1;
	}
	size_t k = 0;
	for (long i = 0; i < nf; i++) {
		if (entry_read(j, names[i], &e[k]) == 0)
			k++;
		else
			snprintf(errbuf, errlen, "journal entry %s/" JOURNAL_DIR "/%s cannot be read; left in place",
				 state_path(j->st), names[i]);
	}
	files_free(names, nf);
	*out = e;
	*n = k;
	return 0;
}

int journal_strike(struct journal *j, const char *solver, const struct solver_record *r)
{
	struct journal_entry *e;
	size_t n;
	char err[256];
	const char *target = r->target ? r->target : r->fqdn;
	if (journal_list(j, &e, &n, err, sizeof(err)) < 0)
		return -1;
	int struck = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].solver, solver) == 0 && strcmp(e[i].value, r->value) == 0 &&
		    strcasecmp(e[i].target, target ? target : "") == 0 && journal_remove(j, e[i].id) == 0)
			struck++;
	journal_entries_free(e, n);
	return struck;
}

void journal_entries_free(struct journal_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].solver);
		free(e[i].where);
		free(e[i].domain);
		free(e[i].fqdn);
		free(e[i].target);
		free(e[i].zone);
		free(e[i].value);
	}
	free(e);
}
