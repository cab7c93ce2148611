/* Files that hold secrets (private keys, TSIG keys, API keys, credentials) are refused when other users may read
 * or write them: the secret is already out, and going on would hide that. */
#ifndef ADNS_SECRETFILE_H
#define ADNS_SECRETFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Checks the mode of an open secret file (fd) named path for people. Returns 0, or -1 with errbuf set
 * ("PATH: other users may read it (mode 0644): chmod o-rwx PATH"), also when fstat fails. */
int secret_fd_check(int fd, const char *path, char *errbuf, size_t errlen);
/* The same by path (follows symbolic links, as opening the file would). */
int secret_path_check(const char *path, char *errbuf, size_t errlen);

#endif
