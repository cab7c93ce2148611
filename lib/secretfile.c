/* Secret files must not be open to other users. */
#include "secretfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int mode_check(const struct stat *st, const char *path, char *errbuf, size_t errlen)
{
	if (!(st->st_mode & (S_IROTH | S_IWOTH)))
		return 0;
	snprintf(errbuf, errlen, "%s: other users may %s it (mode %04o): chmod o-rwx %s", path,
		 st->st_mode & S_IROTH ? "read" : "change", (unsigned)(st->st_mode & 07777), path);
	return -1;
}

int secret_fd_check(int fd, const char *path, char *errbuf, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return mode_check(&st, path, errbuf, errlen);
}

int secret_path_check(const char *path, char *errbuf, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return mode_check(&st, path, errbuf, errlen);
}
