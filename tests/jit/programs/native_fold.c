/* FP operations whose operands are constants only after the JIT inlines: LLVM may fold them
 * at JIT time, and the folded bits must still be the interpreter's (NaN payloads included). */
#include <math.h>
#include <stdint.h>

typedef uint64_t u64;

static double D(u64 x) { union { u64 u; double d; } v = { .u = x }; return v.d; }
static u64 B(double d) { union { u64 u; double d; } v = { .d = d }; return v.u; }
static float F(u64 x) { union { uint32_t u; float f; } v = { .u = (uint32_t)x }; return v.f; }
static u64 BF(float f) { union { uint32_t u; float f; } v = { .f = f }; return v.u; }

#define NI __attribute__((noinline))
NI u64 add(u64 a, u64 b) { return B(D(a) + D(b)); }
NI u64 sub(u64 a, u64 b) { return B(D(a) - D(b)); }
NI u64 mul(u64 a, u64 b) { return B(D(a) * D(b)); }
NI u64 dvd(u64 a, u64 b) { return B(D(a) / D(b)); }
NI u64 fadd32(u64 a, u64 b) { return BF(F(a) + F(b)); }
NI u64 to_int(u64 a) { return (u64)(long)(int)D(a); }
NI u64 to_long(u64 a) { return (u64)(long)D(a); }
NI u64 to_ulong(u64 a) { return (u64)D(a); }
NI u64 ext(u64 a) { return B((double)F(a)); }
NI u64 narrow(u64 a) { return BF((float)D(a)); }
NI u64 root(u64 a) { return B(sqrt(D(a))); }
NI u64 down(u64 a) { return B(floor(D(a))); }
NI u64 least(u64 a, u64 b) { return B(fmin(D(a), D(b))); }
NI u64 power(u64 a, u64 b) { return B(pow(D(a), D(b))); }
NI u64 sine(u64 a) { return B(sin(D(a))); }
NI u64 less(u64 a, u64 b) { return D(a) < D(b); }

#define SNAN 0x7FF0000000000001ull
#define QNAN 0xFFF8000000000123ull
#define ONE 0x3FF0000000000000ull
#define MONE 0xBFF0000000000000ull
#define ZERO 0ull
#define INF 0x7FF0000000000000ull
#define NINF 0xFFF0000000000000ull
#define BIG 0x43E0000000000000ull /* 2^63 */

void fold(u64 *out, long len)
{
    u64 r[] = {
        add(SNAN, ONE), add(ONE, QNAN), add(SNAN, QNAN), add(QNAN, SNAN), add(INF, NINF), add(ONE, 0x8000000000000000ull),
        sub(INF, INF), sub(QNAN, ONE), mul(ONE, SNAN), mul(SNAN, ONE), mul(MONE, QNAN), mul(ZERO, INF),
        dvd(ZERO, ZERO), dvd(SNAN, ZERO), dvd(QNAN, ONE), dvd(ONE, ZERO), dvd(SNAN, ONE),
        fadd32(0x7F800001, 0x3F800000), fadd32(0xFF800000, 0x7F800000),
        to_int(QNAN), to_int(INF), to_int(0x41E0000000000000ull), to_long(BIG), to_long(NINF), to_ulong(BIG),
        to_ulong(MONE), to_ulong(SNAN), ext(0x7F800001), ext(0xFFC00001), narrow(SNAN), narrow(0x7FF8000020000001ull),
        root(MONE), root(SNAN), root(0x8000000000000000ull), down(SNAN), down(0xBFE0000000000000ull),
        least(QNAN, ONE), least(ONE, SNAN), least(ZERO, 0x8000000000000000ull), power(SNAN, ZERO),
        power(ONE, SNAN), power(SNAN, ONE), power(ZERO, MONE), power(MONE, 0x3FE0000000000000ull), sine(INF),
        sine(SNAN), less(QNAN, ONE), less(ONE, INF),
    };
    for (unsigned i = 0; i < sizeof r / sizeof r[0] && (long)(8 * i) < len; i++)
        out[i] = r[i];
}
