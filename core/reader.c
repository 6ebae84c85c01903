/* SPDX-License-Identifier: Apache-2.0 */
/* reader: bytes from a file, a gzip file (by magic, whatever the name) or
 * stdin. zlib reads plain files through unchanged, so one path serves both. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "core/error.h"
#include "core/reader.h"

struct reader {
	gzFile gz;
	char *path;
	uint64_t size;  /* file size in bytes, 0 when unknown (stdin, pipe) */
	bool direct_known;
	bool gzip;
};

int
reader_open(const char *path, struct reader **out)
{
	struct reader *r;
	struct stat sb;
	int fd;

	*out = NULL;
	if (strcmp(path, "-") == 0) {
		fd = dup(STDIN_FILENO);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return err_set(ERR_IO, "%s: cannot open: %s", path,
			       strerror(errno));
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return err_set(ERR_NOMEM, "out of memory");
	}
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		r->size = (uint64_t)sb.st_size;
	r->path = strdup(path);
	r->gz = gzdopen(fd, "rb");
	if (!r->gz || !r->path) {
		if (!r->gz)
			close(fd);
		reader_free(r);
		return err_set(ERR_NOMEM, "%s: cannot start reading", path);
	}
	gzbuffer(r->gz, 256 * 1024);
	*out = r;
	return 0;
}

void
reader_free(struct reader *r)
{
	if (!r)
		return;
	if (r->gz)
		gzclose(r->gz);
	free(r->path);
	free(r);
}

long
reader_read(struct reader *r, void *p, size_t n)
{
	int got, zerr;
	const char *msg;

	if (n > INT_MAX)
		n = INT_MAX;
	got = gzread(r->gz, p, (unsigned)n);
	if (!r->direct_known) {
		r->gzip = !gzdirect(r->gz);
		r->direct_known = true;
	}
	if (got > 0)
		return got; /* a pending error is reported by the next call */
	msg = gzerror(r->gz, &zerr);
	if (got < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
		if (zerr == Z_BUF_ERROR)
			return err_set(ERR_IO, "%s: truncated gzip stream "
				       "(unexpected end of file)", r->path);
		if (zerr == Z_ERRNO)
			return err_set(ERR_IO, "%s: read error: %s", r->path,
				       strerror(errno));
		return err_set(ERR_IO, "%s: corrupt gzip stream: %s", r->path,
			       msg ? msg : "unknown zlib error");
	}
	return got;
}

bool
reader_is_gzip(const struct reader *r)
{
	return r->gzip;
}

uint64_t
reader_offset(const struct reader *r)
{
	z_off_t off = gzoffset(r->gz);

	return off > 0 ? (uint64_t)off : 0;
}

uint64_t
reader_size(const struct reader *r)
{
	return r->size;
}
