/*
 * jail: run a command the way AWS Lambda runs a function's processes, as far as a test can.
 *
 *   jail UID GID -- PROGRAM [ARG]...
 *
 * Installs a seccomp filter that makes prctl(2) fail with EPERM, as Lambda's does (and allows
 * every other call), then drops to UID/GID with no supplementary groups, then execs PROGRAM.
 * The filter is inherited by every process PROGRAM starts. tests/lambda_like/ puts this inside a
 * mount and PID namespace with the code and layer read-only and only /tmp writable.
 *
 * The filter is installed with seccomp(2), not prctl, and while still root, so it needs no
 * PR_SET_NO_NEW_PRIVS (itself a prctl call).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define THIS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_ARCH AUDIT_ARCH_AARCH64
#else
#error "jail.c knows x86_64 and aarch64"
#endif

static void fail(const char *what) {
    fprintf(stderr, "jail: %s: %s\n", what, strerror(errno));
    exit(126);
}

int main(int argc, char **argv) {
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: jail UID GID -- PROGRAM [ARG]...\n");
        return 2;
    }
    uid_t uid = (uid_t)strtoul(argv[1], NULL, 10);
    gid_t gid = (gid_t)strtoul(argv[2], NULL, 10);

    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_prctl, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) fail("seccomp");

    if (setgroups(0, NULL) != 0) fail("setgroups");
    if (setgid(gid) != 0) fail("setgid");
    if (setuid(uid) != 0) fail("setuid");
    execvp(argv[4], &argv[4]);
    fail(argv[4]);
    return 126;
}
