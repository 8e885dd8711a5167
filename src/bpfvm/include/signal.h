/*
 * signal.h - bpfvm libc (intrinsics bound by name; see bpfvm.libc.signal).
 * No signal is ever delivered: signal() records a handler that only raise() calls.
 */
#ifndef _BPFVM_SIGNAL_H
#define _BPFVM_SIGNAL_H

#include <__bpfvm.h>

typedef int sig_atomic_t;
typedef void (*sighandler_t)(int);
typedef unsigned long sigset_t;

#define SIG_DFL ((sighandler_t)0)
#define SIG_IGN ((sighandler_t)1)
#define SIG_ERR ((sighandler_t)-1)

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define NSIG 65

sighandler_t signal(int __sig, sighandler_t __handler);
int raise(int __sig);

#endif /* _BPFVM_SIGNAL_H */
