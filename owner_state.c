/* SPDX-License-Identifier: Apache-2.0 */
/*
 * owner_state.c: read and atomically write the sticky owners' file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "owner_state.h"

/*
 * Read the whole of fd (size known from fstat) into a new buffer, and
 * make sure that is the end: a file that shrank or grew while read is
 * refused (EIO), never taken cut short.
 */
static int
read_all(int fd, size_t size, char **text)
{
	char	*buf;
	size_t	 got = 0;
	ssize_t	 n;

	if ((buf = malloc(size + 1)) == NULL)
		return -1;
	while (got <= size) {
		n = read(fd, buf + got, size + 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != size) {
		free(buf);
		errno = EIO;
		return -1;
	}
	buf[size] = '\0';
	*text = buf;
	return 0;
}

/* Load path into the table. */
enum owner_load
owner_state_load(const char *path, struct owner_sticky *t, char *err,
    size_t errlen)
{
	struct stat	 st;
	const char	*why;
	unsigned	 line;
	char		*text = NULL;
	int		 fd;

	err[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd == -1 && errno == ENOENT)
		return OWNER_LOAD_MISSING;
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return OWNER_LOAD_IGNORED;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto ignored;
	}
	/*
	 * A file that someone other than its writer may change could name
	 * anyone as a name's owner: not trusted.
	 */
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IWGRP | S_IWOTH)) ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		snprintf(err, errlen, "%s: not a regular file owned by this "
		    "daemon's user or root, or writable by group or others",
		    path);
		goto ignored;
	}
	if ((size_t)st.st_size > OWNER_STATE_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path,
		    (size_t)OWNER_STATE_MAX_FILE);
		goto ignored;
	}
	if (read_all(fd, (size_t)st.st_size, &text) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto ignored;
	}
	close(fd);
	if (owner_state_parse(t, text, (size_t)st.st_size, &line,
	    &why) == -1) {
		snprintf(err, errlen, "%s:%u: %s", path, line, why);
		free(text);
		return OWNER_LOAD_IGNORED;
	}
	free(text);
	return OWNER_LOAD_OK;
ignored:
	close(fd);
	return OWNER_LOAD_IGNORED;
}

/* Write all of buf to fd. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write the table to path atomically. */
int
owner_state_save(const char *path, const struct owner_sticky *t, char *err,
    size_t errlen)
{
	char	 tmp[4096], dir[4096];
	char	*text = NULL;
	size_t	 len;
	int	 fd = -1, dfd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if (owner_state_serialize(t, &text, &len) == -1) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	(void)unlink(tmp);	/* a leftover of a crash, or a planted link */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1 || write_all(fd, text, len) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	free(text);
	/* The rename is durable once the directory is. */
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	free(text);
	snprintf(err, errlen, "%s: %s", path, strerror(saved));
	return -1;
}
