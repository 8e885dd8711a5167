/* Table-driven CRC-32 (the table in .bss, built first) of an n-byte malloc'ed buffer. */
#include <stdlib.h>
#include "suite.h"
static unsigned int table[256];
static unsigned int crc(const unsigned char *p, long n)
{
    unsigned int c = 0xFFFFFFFFu;
    for (long i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return ~c;
}
static long crc_kernel(long n)
{
    for (unsigned int i = 0; i < 256; i++) {
        unsigned int c = i;
        for (int j = 0; j < 8; j++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    unsigned char *buf = malloc(n);
    for (long i = 0; i < n; i++)
        buf[i] = (unsigned char)(i * 31 + (i >> 7));
    long r = crc(buf, n);
    free(buf);
    return r;
}
SUITE_ENTRY(crc_kernel)
