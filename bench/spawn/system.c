/* bench/spawn/system.c: system("'.../proclab_exit0'"), through /bin/sh -c.
 *
 * A whole shell is started (and parses the command) before the helper
 * runs: the price of os.system() or subprocess(..., shell=True).  glibc's
 * system() starts the shell with posix_spawn, so the parent's size does
 * not matter; the shell's own start-up does. */
#include "spawn/method.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

/* mmap'd, not malloc'd, and unmapped by teardown: a malloc arena would stay
 * in the spawn probe after this method and make every later fork copy one
 * more mapping. */
struct command {
    size_t bytes;       /* of the whole mapping */
    char text[];
};

/* The helper's path as one single-quoted shell word. */
static int system_setup(void **ctx)
{
    const char *helper = pl_spawn_helper();
    if (!helper)
        return -1;
    size_t bytes = sizeof(struct command) + 4 * strlen(helper) + 3;
    struct command *c = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED)
        return -1;
    c->bytes = bytes;
    char *cmd = c->text, *o = cmd;
    *o++ = '\'';
    for (const char *c = helper; *c; c++) {
        if (*c == '\'') {            /* ' -> '\'' */
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *c;
        }
    }
    *o++ = '\'';
    *o = '\0';
    *ctx = c;
    return 0;
}

static int system_once(void *ctx)
{
    int status = system(((const struct command *)ctx)->text);
    if (status == -1)
        return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = ECHILD;   /* 127: the shell could not run the helper */
        return -1;
    }
    return 0;
}

static void system_teardown(void *ctx)
{
    if (ctx)
        munmap(ctx, ((struct command *)ctx)->bytes);
}

const pl_spawn_method pl_spawn_system = {
    .name = "system",
    .what = "system(): /bin/sh -c proclab_exit0",
    .setup = system_setup,
    .spawn_once = system_once,
    .teardown = system_teardown,
};
