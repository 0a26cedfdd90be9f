/* bench/tools/proclab_exit0.c: the program the spawn benchmark execs.
 *
 * It does nothing and exits 0, so timing fork_exec, posix_spawn or system
 * of it measures starting a process and loading a small program, not the
 * program's work.  It takes no arguments: --help explains it (exit 0),
 * anything else is a bad argument (exit 2), like every other program.
 * write(2) only, no stdio: nothing to load or set up on the measured path.
 *
 * Usage: proclab_exit0 */
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "Usage: proclab_exit0\n"
    "Exit 0 at once: the program bench_spawn starts to time spawning.\n";

int main(int argc, char **argv)
{
    if (argc == 1)
        return 0;
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        return write(STDOUT_FILENO, usage_text, sizeof usage_text - 1) ==
               (ssize_t)(sizeof usage_text - 1) ? 0 : 1;
    }
    static const char bad[] = "proclab_exit0: takes no arguments\n"
                              "Try 'proclab_exit0 --help'.\n";
    if (write(STDERR_FILENO, bad, sizeof bad - 1) == -1)
        return 2;
    return 2;
}
