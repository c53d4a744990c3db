/*
 * rusage_run.c - run a program and write what wait4(2) says it cost.
 *
 *   rusage_run OUT PROG [ARG...]
 *
 * writes "CODE USER_S SYS_S MAXRSS_KB WAITS\n" to OUT (CODE the exit
 * status, -1 when a signal ended it; WAITS its voluntary context switches,
 * each a time it slept waiting for something) and exits with the
 * program's status. Why not
 * wait4 in the benchmark itself: a child fork(2)ed from a process and then
 * exec'd keeps, as its peak RSS, the larger of the two address spaces'
 * peaks, and a benchmark holding a million generated events is larger
 * than the ochost it measures. This program is small, so the peak it
 * reports is the program's own.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static double seconds(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

int main(int argc, char **argv)
{
    if(argc < 3) {
        fprintf(stderr, "usage: rusage_run OUT PROG [ARG...]\n");
        return 2;
    }
    pid_t pid = fork();
    if(pid < 0) {
        perror("rusage_run: fork");
        return 127;
    }
    if(pid == 0) {
        execvp(argv[2], argv + 2);
        perror("rusage_run: exec");
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    while(wait4(pid, &status, 0, &ru) < 0)
        if(errno != EINTR) {
            perror("rusage_run: wait4");
            return 127;
        }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    FILE *f = fopen(argv[1], "w");
    if(!f || fprintf(f, "%d %.6f %.6f %ld %ld\n", code, seconds(ru.ru_utime), seconds(ru.ru_stime), ru.ru_maxrss,
                      ru.ru_nvcsw) < 0 ||
       fclose(f)) {
        perror("rusage_run: writing the figures");
        return 127;
    }
    return code >= 0 ? code : 128 + WTERMSIG(status);
}
