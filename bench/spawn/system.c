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
#include <sys/wait.h>

/* The helper's path as one single-quoted shell word. */
static int system_setup(void **ctx)
{
    const char *helper = pl_spawn_helper();
    if (!helper)
        return -1;
    char *cmd = malloc(4 * strlen(helper) + 3), *o = cmd;
    if (!cmd)
        return -1;
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
    *ctx = cmd;
    return 0;
}

static int system_once(void *ctx)
{
    int status = system((const char *)ctx);
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
    free(ctx);
}

const pl_spawn_method pl_spawn_system = {
    .name = "system",
    .what = "system(): /bin/sh -c proclab_exit0",
    .setup = system_setup,
    .spawn_once = system_once,
    .teardown = system_teardown,
};
