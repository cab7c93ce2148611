/* acme-dnsd: the authoritative DNS server for ACME DNS-01 challenge records, with the acme-dns HTTP API. */
#include "api.h"
#include "config.h"
#include "dns.h"
#include "log.h"
#include "store.h"
#include "sync.h"
#include "tsig.h"
#include "txt_table.h"
#include "wire.h"
#include "zonedb.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <urcu.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct daemon {
	struct config *cfg;
	struct store *store;
	struct txt_table *txt;
	struct txt_table *names;
	struct dns_source src;
	struct dns_udp *udp;
	struct dns_tcp *tcp;
	struct api *api;
	struct sync *sync;
	struct event_base *base;
	pthread_mutex_t write_lock;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: acme-dnsd -c FILE [-t] [--import-acme-dns DB]\n"
		   "       acme-dnsd --copy-store FROM TO [--force]\n"
		   "  -c, --config FILE        configuration (YAML)\n"
		   "  -t, --test               check the configuration and the zone files, then exit\n"
		   "      --import-acme-dns DB import accounts and values from a joohoi/acme-dns SQLite database, then exit\n"
		   "      --copy-store FROM TO copy every account and value from one store to another (each a SQLite file\n"
		   "                           or a postgres:// URL), then exit; TO must be empty unless --force\n"
		   "      --force              with --copy-store: delete what TO holds first\n"
		   "  -h, --help               this text\n");
}

/* A key given a zone we do not serve is most likely a typo: say so (at start and with -t). */
static void update_zones_check(const struct config *cfg, const struct zonedb *db)
{
	for (size_t i = 0; i < cfg->n_keys; i++) {
		const struct config_key *k = &cfg->keys[i];
		for (size_t j = 0; j < k->n_zones; j++) {
			uint8_t w[WIRE_NAME_MAX];
			size_t n = wire_name_from_str(k->zones[j], w);
			const struct zone *z = n ? zonedb_find(db, w, n) : NULL;
			if (!z || zone_origin_len(z) != n)
				log_warn("update key %s: zone %s is not served", k->name, k->zones[j]);
		}
	}
}

/* The same for subdomains no account has (yet: the key works for them once the account exists). */
static void update_keys_check(const struct daemon *d)
{
	const struct config *cfg = d->cfg;
	update_zones_check(cfg, d->src.db);
	for (size_t i = 0; i < cfg->n_keys; i++) {
		const struct config_key *k = &cfg->keys[i];
		rcu_read_lock();
		for (size_t j = 0; j < k->n_subdomains; j++)
			if (!txt_table_lookup(d->txt, (const uint8_t *)k->subdomains[j], strlen(k->subdomains[j])))
				log_warn("update key %s: subdomain %s has no account (yet)", k->name, k->subdomains[j]);
		rcu_read_unlock();
		log_info("update key %s (%s): %s, %zu account subdomains", k->name,
			 tsig_alg_name(tsig_key_alg(k->tsig)), k->all_zones ? "every zone" : "listed zones",
			 k->n_subdomains);
	}
}

/* The SQLite file and its WAL companions were opened as root; the user we become must own them. */
static int store_files_chown(const char *path, uid_t uid, gid_t gid)
{
	if (store_is_url(path) || path[0] != '/')
		return 0;
	static const char *const suffix[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		char f[4096];
		snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
		if (chown(f, uid, gid) < 0 && errno != ENOENT) {
			log_error("store %s: cannot hand it to uid %u: %s", f, (unsigned)uid, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* A path read after the start, seen from inside the chroot: the prefix taken off, the leading '/' kept. */
static void path_into_root(char *path, const char *root)
{
	size_t n = strlen(root);
	if (path && strncmp(path, root, n) == 0 && path[n] == '/')
		memmove(path, path + n, strlen(path + n) + 1);
}

/* Confines the daemon to cfg->chroot (config.c checked that the store, zones and TLS files lie inside). The
 * store is open already; zone and certificate reloads read their files under the new root. */
static int enter_chroot(struct config *cfg)
{
	if (chroot(cfg->chroot) < 0 || chdir("/") < 0) {
		log_error("chroot %s: %s", cfg->chroot, strerror(errno));
		return -1;
	}
	path_into_root(cfg->zones_dir, cfg->chroot);
	path_into_root(cfg->tls_cert, cfg->chroot);
	path_into_root(cfg->tls_key, cfg->chroot);
	log_info("confined to %s", cfg->chroot);
	return 0;
}

/* Binding is done: hand the store to the user, confine, and become that user for good. The user is looked up
 * (and its groups set) before the chroot, which has no /etc/passwd. */
static int drop_privileges(struct config *cfg)
{
	struct passwd *pw = NULL;
	if (cfg->user && !(pw = getpwnam(cfg->user))) {
		log_error("user %s: no such user", cfg->user);
		return -1;
	}
	if (cfg->chroot && getuid() != 0) {
		log_error("chroot %s: needs root", cfg->chroot);
		return -1;
	}
	if (pw && getuid() == 0 && store_files_chown(cfg->store_path, pw->pw_uid, pw->pw_gid) < 0)
		return -1;
	if (pw && initgroups(pw->pw_name, pw->pw_gid) < 0) {
		log_error("cannot take the groups of user %s: %s", cfg->user, strerror(errno));
		return -1;
	}
	if (cfg->chroot && enter_chroot(cfg) < 0)
		return -1;
	if (!pw)
		return 0;
	if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		log_error("cannot become user %s: %s", cfg->user, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		log_error("privileges could not be dropped for good");
		return -1;
	}
	log_info("running as user %s (uid %u)", cfg->user, (unsigned)pw->pw_uid);
	return 0;
}

static void on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	log_info("SIGHUP: reloading zones and the API certificate");
	struct zonedb *old = d->src.db;
	struct zonedb *db = zonedb_load(d->cfg, old);
	if (db) {
		rcu_assign_pointer(d->src.db, db);
		synchronize_rcu();          /* no reader can still hold the old tables */
		zonedb_free(old);
	} else {
		log_error("reload failed: still serving the zones loaded before");
	}
	if (d->api)
		api_reload_tls(d->api);
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(d->base);
}

/* Opens every socket while still privileged. */
static int daemon_bind(struct daemon *d)
{
	char err[512] = "";
	d->udp = dns_udp_bind(d->cfg, err, sizeof(err));
	if (d->udp)
		d->tcp = dns_tcp_bind(d->cfg, err, sizeof(err));
	if (d->tcp && d->cfg->api_enabled) {
		struct api_deps deps = { d->cfg, d->store, d->txt, &d->write_lock };
		d->api = api_start(d->base, &deps, err, sizeof(err));
		if (!d->api) {
			log_error("api %s: %s", d->cfg->api_text, err);
			return -1;
		}
	}
	if (!d->udp || !d->tcp) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

static void daemon_announce(const struct daemon *d)
{
	const struct config *cfg = d->cfg;
	for (size_t i = 0; i < cfg->n_dns_listen; i++)
		log_info("dns: listening on %s (%s%s%s)", cfg->dns_listen[i].text, cfg->dns_listen[i].udp ? "udp" : "",
			 cfg->dns_listen[i].udp && cfg->dns_listen[i].tcp ? "+" : "", cfg->dns_listen[i].tcp ? "tcp" : "");
	if (cfg->api_enabled)
		log_info("api: listening on %s://%s", cfg->tls_cert ? "https" : "http", cfg->api_text);
	log_info("serving challenge records under %s", cfg->zone);
}

static int daemon_run(struct daemon *d)
{
	if (daemon_bind(d) < 0)
		return -1;
	if ((d->cfg->user || d->cfg->chroot) && drop_privileges(d->cfg) < 0)
		return -1;
	if (dns_udp_start(d->udp, &d->src) < 0 || dns_tcp_start(d->tcp, &d->src) < 0)
		return -1;
	struct event *hup = evsignal_new(d->base, SIGHUP, on_reload, d);
	struct event *term = evsignal_new(d->base, SIGTERM, on_stop, d);
	struct event *intr = evsignal_new(d->base, SIGINT, on_stop, d);
	event_add(hup, NULL);
	event_add(term, NULL);
	event_add(intr, NULL);
	daemon_announce(d);
	event_base_loop(d->base, EVLOOP_NO_EXIT_ON_EMPTY);
	event_free(hup);
	event_free(term);
	event_free(intr);
	return 0;
}

static void daemon_close(struct daemon *d)
{
	dns_udp_stop(d->udp);
	dns_tcp_stop(d->tcp);
	api_free(d->api);
	store_close(d->store);          /* first: its watch thread publishes into the tables */
	sync_free(d->sync);
	if (d->base)
		event_base_free(d->base);
	rcu_barrier();                  /* run pending frees of replaced value sets */
	txt_table_free(d->txt);
	txt_table_free(d->names);
	zonedb_free(d->src.db);
	config_free(d->cfg);
}

static int run_import(struct config *cfg, const char *from)
{
	char err[512] = "";
	struct store *st = store_open(cfg->store_path, cfg->values_kept, err, sizeof(err));
	size_t na = 0, nv = 0;
	int rc = st ? store_import_acme_dns(st, from, &na, &nv, err, sizeof(err)) : -1;
	if (rc < 0)
		fprintf(stderr, "acme-dnsd: import from %s failed: %s\n", from, err);
	else
		printf("imported %zu accounts and %zu values from %s into %s\n", na, nv, from, store_name(st));
	store_close(st);
	return rc < 0 ? 1 : 0;
}

static int check_only(struct config *cfg)
{
	struct zonedb *db = zonedb_load(cfg, NULL);
	int ok = db != NULL && zonedb_errors(db) == 0;
	if (db)
		update_zones_check(cfg, db);      /* a warning only: the key still works in its other zones */
	zonedb_free(db);
	printf("%s: configuration %s\n", cfg->path, ok ? "ok" : "has errors");
	return ok ? 0 : 1;
}

static int daemon_open(struct daemon *d)
{
	char err[512] = "";
	d->store = store_open(d->cfg->store_path, d->cfg->values_kept, err, sizeof(err));
	if (!d->store) {
		char name[1024];
		log_error("store %s: %s", store_redact(d->cfg->store_path, name, sizeof(name)), err);
		return -1;
	}
	d->txt = txt_table_new();
	d->names = txt_table_new();
	d->base = event_base_new();
	if (!d->txt || !d->names || !d->base)
		return -1;
	struct sync_deps deps = { d->store, d->txt, d->names, &d->write_lock, d->cfg->values_kept };
	d->sync = sync_new(&deps);
	/* Watch first: a change committed during the load is then published again after it, never lost. */
	if (!d->sync || sync_watch(d->sync) < 0 || sync_load(d->sync) < 0)
		return -1;
	d->src.cfg = d->cfg;
	d->src.txt = d->txt;
	d->src.names = d->names;
	d->src.store = d->store;
	d->src.write_lock = &d->write_lock;
	d->src.db = zonedb_load(d->cfg, NULL);
	if (!d->src.db)
		return -1;
	update_keys_check(d);
	return 0;
}

/* Copying between SQLite and PostgreSQL, either way, so a user can move. Both sides are opened with the
 * largest values_kept: a copy keeps every value the source holds. */
static int run_copy(const char *from, const char *to, bool force)
{
	char err[1024] = "", fname[1024], tname[1024];
	store_redact(from, fname, sizeof(fname));
	store_redact(to, tname, sizeof(tname));
	if (strcmp(from, to) == 0) {
		fprintf(stderr, "acme-dnsd: --copy-store: %s is both source and target\n", fname);
		return 2;
	}
	if (!store_is_url(from) && access(from, R_OK) != 0) {   /* opening would create an empty store */
		fprintf(stderr, "acme-dnsd: --copy-store: %s: %s\n", fname, strerror(errno));
		return 1;
	}
	struct store *src = store_open(from, STORE_VALUES_KEPT_MAX, err, sizeof(err));
	struct store *dst = src ? store_open(to, STORE_VALUES_KEPT_MAX, err, sizeof(err)) : NULL;
	struct store_copy_counts n;
	int rc = dst ? store_copy(src, dst, force ? STORE_COPY_REPLACE : STORE_COPY_EMPTY, &n, err, sizeof(err)) : -1;
	if (rc < 0)
		fprintf(stderr, "acme-dnsd: copy from %s to %s failed: %s\n", fname, tname, err);
	else
		printf("copied %zu accounts, %zu values and %zu values at _acme-challenge names from %s to %s\n",
		       n.accounts, n.values, n.name_values, fname, tname);
	store_close(dst);
	store_close(src);
	return rc < 0 ? 1 : 0;
}

struct args {
	const char *config, *import, *copy_from, *copy_to;
	bool test, force;
};

/* Returns -1 when the arguments are good, else the exit status (usage printed). */
static int args_parse(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "test", no_argument, NULL, 't' },
		{ "import-acme-dns", required_argument, NULL, 'I' }, { "copy-store", required_argument, NULL, 'C' },
		{ "force", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	for (int c; (c = getopt_long(argc, argv, "c:th", opts, NULL)) != -1;) {
		if (c == 'c')
			a->config = optarg;
		else if (c == 't')
			a->test = true;
		else if (c == 'I')
			a->import = optarg;
		else if (c == 'C')
			a->copy_from = optarg;
		else if (c == 'f')
			a->force = true;
		else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (a->copy_from && optind == argc - 1 && !a->config && !a->test && !a->import) {
		a->copy_to = argv[optind];
		return -1;
	}
	if (!a->config || optind != argc || a->copy_from || a->force) {
		usage(stderr);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	int rc = args_parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (a.copy_to) {
		log_setup(LOG_LVL_INFO, 0);
		return run_copy(a.copy_from, a.copy_to, a.force);
	}
	char err[1024] = "";
	struct daemon d = { .write_lock = PTHREAD_MUTEX_INITIALIZER };
	d.cfg = config_load(a.config, err, sizeof(err));
	if (!d.cfg) {
		fprintf(stderr, "acme-dnsd: %s\n", err);
		return 1;
	}
	log_setup((enum log_level)d.cfg->log_level, d.cfg->log_json);
	if (a.import || a.test) {
		rc = a.import ? run_import(d.cfg, a.import) : check_only(d.cfg);
		config_free(d.cfg);
		return rc;
	}
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	rcu_register_thread();
	rc = daemon_open(&d) == 0 && daemon_run(&d) == 0 ? 0 : 1;
	daemon_close(&d);
	rcu_unregister_thread();
	log_info("stopped");
	return rc;
}
