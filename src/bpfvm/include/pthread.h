/*
 * pthread.h - bpfvm libc: POSIX threads for a guest that has exactly one.
 * Mutexes, condition variables, once-control and thread-specific keys work as they do in a
 * single-threaded process (a mutex is a flag; waiting on a condition variable that no one can
 * signal returns EDEADLK instead of hanging).  pthread_create fails with EAGAIN: there are no
 * threads to start.  Header-only: nothing here reaches the host.
 */
#ifndef _BPFVM_PTHREAD_H
#define _BPFVM_PTHREAD_H

#include <__bpfvm.h>
#include <errno.h>

typedef unsigned long pthread_t;
typedef struct { int __unused; } pthread_attr_t;
typedef struct { int __locked; } pthread_mutex_t;
typedef struct { int __kind; } pthread_mutexattr_t;
typedef struct { int __unused; } pthread_cond_t;
typedef struct { int __unused; } pthread_condattr_t;
typedef int pthread_once_t;
typedef unsigned int pthread_key_t;

#define PTHREAD_MUTEX_INITIALIZER {0}
#define PTHREAD_COND_INITIALIZER {0}
#define PTHREAD_ONCE_INIT 0
#define PTHREAD_MUTEX_NORMAL 0
#define PTHREAD_MUTEX_RECURSIVE 1
#define PTHREAD_MUTEX_ERRORCHECK 2
#define PTHREAD_MUTEX_DEFAULT 0
#define PTHREAD_KEYS_MAX 128

static inline pthread_t pthread_self(void) { return 1; }
static inline int pthread_equal(pthread_t __a, pthread_t __b) { return __a == __b; }
static inline int pthread_create(pthread_t *__t, const pthread_attr_t *__a, void *(*__fn)(void *),
                                 void *__arg) {
    (void)__t; (void)__a; (void)__fn; (void)__arg;
    return EAGAIN;
}
static inline int pthread_join(pthread_t __t, void **__ret) { (void)__t; (void)__ret; return ESRCH; }
static inline int pthread_detach(pthread_t __t) { (void)__t; return ESRCH; }
static inline int pthread_attr_init(pthread_attr_t *__a) { (void)__a; return 0; }
static inline int pthread_attr_destroy(pthread_attr_t *__a) { (void)__a; return 0; }

static inline int pthread_mutexattr_init(pthread_mutexattr_t *__a) { __a->__kind = 0; return 0; }
static inline int pthread_mutexattr_destroy(pthread_mutexattr_t *__a) { (void)__a; return 0; }
static inline int pthread_mutexattr_settype(pthread_mutexattr_t *__a, int __k) { __a->__kind = __k; return 0; }
static inline int pthread_mutex_init(pthread_mutex_t *__m, const pthread_mutexattr_t *__a) {
    (void)__a; __m->__locked = 0; return 0;
}
static inline int pthread_mutex_destroy(pthread_mutex_t *__m) { return __m->__locked > 0 ? EBUSY : 0; }
static inline int pthread_mutex_lock(pthread_mutex_t *__m) { __m->__locked++; return 0; }
static inline int pthread_mutex_trylock(pthread_mutex_t *__m) { return __m->__locked ? EBUSY : (__m->__locked = 1, 0); }
static inline int pthread_mutex_unlock(pthread_mutex_t *__m) {
    if (__m->__locked <= 0) return EPERM;
    __m->__locked--; return 0;
}

static inline int pthread_cond_init(pthread_cond_t *__c, const pthread_condattr_t *__a) { (void)__c; (void)__a; return 0; }
static inline int pthread_cond_destroy(pthread_cond_t *__c) { (void)__c; return 0; }
static inline int pthread_cond_signal(pthread_cond_t *__c) { (void)__c; return 0; }
static inline int pthread_cond_broadcast(pthread_cond_t *__c) { (void)__c; return 0; }
static inline int pthread_cond_wait(pthread_cond_t *__c, pthread_mutex_t *__m) { (void)__c; (void)__m; return EDEADLK; }

static inline int pthread_once(pthread_once_t *__once, void (*__fn)(void)) {
    if (!*__once) { *__once = 1; __fn(); }
    return 0;
}

__attribute__((__weak__)) void *__bpfvm_pthread_values[PTHREAD_KEYS_MAX];  /* one table for every file */
__attribute__((__weak__)) unsigned int __bpfvm_pthread_keys;
static inline int pthread_key_create(pthread_key_t *__k, void (*__dtor)(void *)) {
    (void)__dtor;
    if (__bpfvm_pthread_keys >= PTHREAD_KEYS_MAX) return EAGAIN;
    *__k = __bpfvm_pthread_keys++;
    return 0;
}
static inline int pthread_key_delete(pthread_key_t __k) { (void)__k; return 0; }
static inline void *pthread_getspecific(pthread_key_t __k) {
    return __k < PTHREAD_KEYS_MAX ? __bpfvm_pthread_values[__k] : NULL;
}
static inline int pthread_setspecific(pthread_key_t __k, const void *__v) {
    if (__k >= PTHREAD_KEYS_MAX) return EINVAL;
    __bpfvm_pthread_values[__k] = (void *)__v;
    return 0;
}

#endif /* _BPFVM_PTHREAD_H */
