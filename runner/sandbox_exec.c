/*
 * sandbox-exec: set a run's OS limits and identity, then become the program.
 *
 *   sandbox-exec [-u UID -g GID] [-l NAME=VALUE]... -- PROGRAM [ARG]...
 *   NAME: data, fsize, core, nofile, nproc, stack (soft and hard limit both set to VALUE)
 *
 * Why it exists: the driver (chalicelib/sandbox.py) could do this in a Python pre-exec hook, but a
 * hook forces a full fork() of the worker process (page tables and all: ~4 ms of CPU and ~9 ms of
 * wall time per run in a busy worker), where this lets Python use vfork() and exec us. The order
 * matters: limits first (a root parent may still raise the stack's soft limit), then groups, gid,
 * uid, then the parent-death signal, which a change of uid would clear; then a check that the
 * parent did not die meanwhile. Any failure exits 127 before the program runs, except one:
 *
 * AWS Lambda runs functions under a seccomp filter that refuses prctl(2) with EPERM, so there is
 * no parent-death signal there. Without it the run goes on: the driver kills the run's process
 * group after every run (and at its deadline), and Lambda ends every process of an environment
 * when it recycles one, so a program still cannot outlive its worker for long.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

static const struct { const char *name; int resource; } LIMITS[] = {
    {"data", RLIMIT_DATA},     {"fsize", RLIMIT_FSIZE}, {"core", RLIMIT_CORE},
    {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"stack", RLIMIT_STACK},
};

static void fail(const char *what) {
    fprintf(stderr, "sandbox-exec: %s: %s\n", what, strerror(errno));
    _exit(127);
}

static unsigned long long number(const char *text) {
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || *text == '\0' || *end != '\0') {
        errno = EINVAL;
        fail(text);
    }
    return value;
}

static void set_limit(const char *spec) {
    const char *equals = strchr(spec, '=');
    if (equals == NULL) {
        errno = EINVAL;
        fail(spec);
    }
    for (size_t i = 0; i < sizeof LIMITS / sizeof LIMITS[0]; i++) {
        if (strlen(LIMITS[i].name) == (size_t)(equals - spec) &&
            strncmp(LIMITS[i].name, spec, equals - spec) == 0) {
            struct rlimit limit;
            limit.rlim_cur = limit.rlim_max = (rlim_t)number(equals + 1);
            if (setrlimit(LIMITS[i].resource, &limit) != 0) fail(spec);
            return;
        }
    }
    errno = EINVAL;
    fail(spec);
}

int main(int argc, char **argv) {
    long long uid = -1, gid = -1;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
        if (i + 1 >= argc) {
            errno = EINVAL;
            fail(argv[i]);
        }
        if (strcmp(argv[i], "-u") == 0) uid = (long long)number(argv[i + 1]);
        else if (strcmp(argv[i], "-g") == 0) gid = (long long)number(argv[i + 1]);
        else if (strcmp(argv[i], "-l") == 0) set_limit(argv[i + 1]);
        else {
            errno = EINVAL;
            fail(argv[i]);
        }
    }
    if (i + 1 >= argc) {
        errno = EINVAL;
        fail("no program after --");
    }
    pid_t parent = getppid();
    if (gid >= 0 && (setgroups(0, NULL) != 0 || setgid((gid_t)gid) != 0)) fail("setgid");
    if (uid >= 0 && setuid((uid_t)uid) != 0) fail("setuid");
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0) {
        if (getppid() != parent) _exit(127); /* the worker died before the signal was armed */
    } else if (errno != EPERM && errno != EINVAL) {
        fail("prctl");
    }
    execv(argv[i + 1], &argv[i + 1]);
    fail(argv[i + 1]);
    return 127;
}
