/* builtins.c compiled with -fno-math-errno, so that clang emits LLVM intrinsics for the
 * functions too (llvm.ldexp, llvm.lround, llvm.lrint, llvm.frexp …) and not libm calls. */
/* bpfvm-flags: -fno-math-errno */
#include "builtins.c"
