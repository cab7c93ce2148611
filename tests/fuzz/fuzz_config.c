/* Fuzz target: acme-dnsd's YAML configuration. The input is the whole file (read through a memfd, so the loader
 * takes the same path as for a real file). Any input must give a config or an error, never a crash. */
#include "config.h"
#include "log.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64], err[512];
	if (fd < 0) {
		log_setup(LOG_LVL_ERROR, 0);
		fd = memfd_create("fuzz-config", MFD_CLOEXEC);
		if (fd < 0)
			return 0;
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct config *cfg = config_load(path, err, sizeof(err));
	config_free(cfg);
	return 0;
}
