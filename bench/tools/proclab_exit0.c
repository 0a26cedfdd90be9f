/* bench/tools/proclab_exit0.c: the program the spawn benchmark execs.
 *
 * It does nothing and exits 0, so timing fork_exec, posix_spawn or system
 * of it measures starting a process and loading a small program, not the
 * program's work. */
int main(void)
{
    return 0;
}
