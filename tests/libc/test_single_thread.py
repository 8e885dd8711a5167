"""<pthread.h> for one thread and <fenv.h> for round-to-nearest: header-only, both engines."""

from __future__ import annotations

import io

import pytest

import bpfvm
from bpfvm.cc import compile as compile_program
from bpfvm.vm import ENGINES

SOURCE = r"""
#include <errno.h>
#include <fenv.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int inits;
static void init(void) { inits++; }
static void *work(void *arg) { return arg; }

int main(void) {
    pthread_key_t key;
    int value = 7;
    pthread_t t;
    int locked = pthread_mutex_lock(&lock), busy = pthread_mutex_trylock(&lock) == EBUSY;
    int unlocked = pthread_mutex_unlock(&lock), again = pthread_mutex_unlock(&lock) == EPERM;
    printf("lock %d trylock %d unlock %d unlock-again %d\n", locked, busy, unlocked, again);
    pthread_once(&once, init);
    pthread_once(&once, init);
    printf("once %d create %d self %d\n", inits, pthread_create(&t, NULL, work, NULL) == EAGAIN,
           pthread_equal(pthread_self(), pthread_self()));
    int made = pthread_key_create(&key, NULL), set = pthread_setspecific(key, &value);
    printf("key %d set %d get %d\n", made, set, *(int *)pthread_getspecific(key));
    int nearest = fegetround() == FE_TONEAREST, kept = fesetround(FE_TONEAREST);
    int refused = fesetround(FE_UPWARD) != 0;
    printf("round %d nearest %d upward %d flags %d\n", nearest, kept, refused, fetestexcept(FE_ALL_EXCEPT));
    return 0;
}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_single_threaded_stubs(engine: str) -> None:
    out = io.BytesIO()
    assert bpfvm.VM(engine, stdout=out).run_main(compile_program(SOURCE), ["t"]) == 0
    assert out.getvalue() == (b"lock 0 trylock 1 unlock 0 unlock-again 1\nonce 1 create 1 self 1\n"
                              b"key 0 set 0 get 7\nround 1 nearest 0 upward 1 flags 0\n")
