/* The client's state directory: accounts per CA, certificates per name, written atomically under a lock. */
#ifndef ADNS_STATE_H
#define ADNS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct state;

/* The directory to use: dir if given, else $ACME_DNS_STATE_DIR, else $XDG_DATA_HOME/acme-dns-cli, else
 * $HOME/.local/share/acme-dns-cli. Returns a malloc'd path, or NULL when none can be found. */
char *state_default_dir(const char *dir);
/* Opens (creating with mode 0700) the directory and takes an exclusive lock on DIR/.lock, waiting at most
 * lock_timeout_s seconds for another process to let go. Returns NULL with errbuf set ("state directory DIR is
 * locked by another run (pid N)" when the wait ends). */
struct state *state_open(const char *dir, int lock_timeout_s, char *errbuf, size_t errlen);
/* Releases the lock and frees st. NULL is fine. */
void state_close(struct state *st);
/* The directory's path. */
const char *state_path(const struct state *st);

/* Writes relpath (parent folders made with 0700) atomically: a temporary file in the same folder, fsync, rename,
 * fsync of the folder. mode applies to the new file (0600 for keys). Returns 0 or -1 with errbuf set. */
int state_write(struct state *st, const char *relpath, const void *data, size_t len, mode_t mode, char *errbuf,
		size_t errlen);
/* Reads relpath whole. Returns a malloc'd NUL-terminated buffer (length in *len if non-NULL), or NULL with errno
 * ENOENT when it does not exist (other errno values for other failures). */
char *state_read(struct state *st, const char *relpath, size_t *len);
/* True when relpath exists. */
bool state_exists(struct state *st, const char *relpath);
/* Removes relpath (a file). Returns 0 (also when it did not exist) or -1. */
int state_remove(struct state *st, const char *relpath);

/* The folder name for a CA from its directory URL: host[_port] plus the path with every character outside
 * [A-Za-z0-9.-] turned into '_', e.g. "acme-v02.api.letsencrypt.org_directory". malloc'd. */
char *state_ca_name(const char *directory_url);
/* The folder name for a certificate from its first name: "*." becomes "_." as lego does. malloc'd. */
char *state_cert_name(const char *first_name);

#endif
