/* A bytecode interpreter loop: a small stack machine (switch dispatch) running a program that
 * sums a polynomial over n iterations. */
#include "suite.h"
enum { PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, JNZ, DUP, POP, HALT };
static const int code[] = {
    PUSH, 0, STORE, 1,                      /* acc = 0 */
    LOAD, 0, STORE, 2,                      /* i = n */
    /* 8: loop */
    LOAD, 2, DUP, MUL, LOAD, 2, ADD, PUSH, 1000003, MOD, /* (i*i + i) % 1000003 */
    LOAD, 1, ADD, STORE, 1,                 /* acc += … */
    LOAD, 2, PUSH, 1, SUB, DUP, STORE, 2,   /* i -= 1 */
    JNZ, 8, LOAD, 1, HALT,
};
static long run(long n)
{
    long stack[64], vars[4] = {n, 0, 0, 0};
    long sp = 0, pc = 0;
    for (;;) {
        int op = code[pc++];
        switch (op) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case LOAD: stack[sp++] = vars[code[pc++]]; break;
        case STORE: vars[code[pc++]] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case JNZ: if (stack[--sp]) pc = code[pc]; else pc++; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case POP: sp--; break;
        default: return stack[sp - 1];
        }
    }
}
SUITE_ENTRY(run)
