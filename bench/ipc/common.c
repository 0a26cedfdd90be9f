/* bench/ipc/common.c: naming, private directories, full reads and writes. */
#include "ipc/common.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

int pl_ipc_name(char *buf, size_t size, const char *what)
{
    /* 8 random hex digits: nobody can create the name first (the pid alone
     * is easy to guess); callers make a new name on EEXIST. */
    uint32_t bits = 0;
    ssize_t got;
    while ((got = getrandom(&bits, sizeof bits, 0)) == -1 && errno == EINTR)
        ;
    if (got != (ssize_t)sizeof bits)
        return -1;
    int n = snprintf(buf, size, "/proclab-%u-%ld-%08x-%s", (unsigned)getuid(),
                     (long)getpid(), (unsigned)bits, what);
    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int pl_ipc_tmpdir(char *dir, size_t size)
{
    int n = snprintf(dir, size, "/tmp/proclab-%u-%ld-XXXXXX", (unsigned)getuid(),
                     (long)getpid());
    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (!mkdtemp(dir)) {        /* mode 0700: nobody else can look in */
        dir[0] = '\0';
        return -1;
    }
    return 0;
}

int pl_ipc_path(char *buf, size_t size, const char *dir, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

void pl_ipc_tmpdir_remove(const char *dir)
{
    int saved = errno;
    if (!dir || !dir[0])
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[PL_IPC_NAME_MAX + 256];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (pl_ipc_path(path, sizeof path, dir, e->d_name) == 0)
                unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
    errno = saved;
}

int pl_ipc_read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n == -1)
            return -1;          /* EINTR included: see common.h */
        if (n == 0) {
            errno = EPIPE;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int pl_ipc_write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n == -1)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void pl_ipc_close(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        *fd = -1;
        errno = saved;
    }
}

void *pl_ipc_buf_alloc(size_t bytes)
{
    size_t align = bytes >= 4096 ? 4096 : 64;
    size_t size = (bytes + align - 1) / align * align;
    void *p = aligned_alloc(align, size ? size : align);
    if (p)
        memset(p, 0, size ? size : align);
    return p;
}
