/* The <string.h> functions the JIT lowers natively, callable with raw guest addresses. */
#include <string.h>
#include <strings.h>

#define P(x) ((char *)(x))

long t_memcpy(long d, long s, long n) { return (long)memcpy(P(d), P(s), n); }
long t_memmove(long d, long s, long n) { return (long)memmove(P(d), P(s), n); }
long t_memset(long d, long c, long n) { return (long)memset(P(d), (int)c, n); }
long t_memcmp(long a, long b, long n) { return memcmp(P(a), P(b), n); }
long t_memchr(long s, long c, long n) { return (long)memchr(P(s), (int)c, n); }
long t_strlen(long s) { return strlen(P(s)); }
long t_strnlen(long s, long n) { return strnlen(P(s), n); }
long t_strcpy(long d, long s) { return (long)strcpy(P(d), P(s)); }
long t_stpcpy(long d, long s) { return (long)stpcpy(P(d), P(s)); }
long t_strncpy(long d, long s, long n) { return (long)strncpy(P(d), P(s), n); }
long t_strcat(long d, long s) { return (long)strcat(P(d), P(s)); }
long t_strcmp(long a, long b) { return strcmp(P(a), P(b)); }
long t_strncmp(long a, long b, long n) { return strncmp(P(a), P(b), n); }
long t_strchr(long s, long c) { return (long)strchr(P(s), (int)c); }
long t_strrchr(long s, long c) { return (long)strrchr(P(s), (int)c); }
long t_bzero(long s, long n) { bzero(P(s), n); return 0; }
