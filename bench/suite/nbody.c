/* n-body in double: n bodies (.bss) on a ring, 20 leapfrog steps; bits of the final energy. */
#include <math.h>
#include "suite.h"
#define MAXN 512
struct body { double x, y, z, vx, vy, vz, mass; };
static struct body p[MAXN];
static double energy(long n)
{
    double e = 0.0;
    for (long i = 0; i < n; i++) {
        e += 0.5 * p[i].mass * (p[i].vx * p[i].vx + p[i].vy * p[i].vy + p[i].vz * p[i].vz);
        for (long j = i + 1; j < n; j++) {
            double dx = p[i].x - p[j].x, dy = p[i].y - p[j].y, dz = p[i].z - p[j].z;
            e -= p[i].mass * p[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}
static long nbody(long n)
{
    for (long i = 0; i < n; i++) {
        double a = (double)i * 0.7;
        p[i] = (struct body){a, a * 0.5 + 1.0, (double)(i % 7) * 0.1, 0.01 * (double)(i % 3),
                             -0.02 * (double)(i % 5), 0.0, 1.0 + (double)(i % 4)};
    }
    for (int step = 0; step < 20; step++) {
        for (long i = 0; i < n; i++)
            for (long j = i + 1; j < n; j++) {
                double dx = p[i].x - p[j].x, dy = p[i].y - p[j].y, dz = p[i].z - p[j].z;
                double d2 = dx * dx + dy * dy + dz * dz + 0.01;
                double mag = 0.001 / (d2 * sqrt(d2));
                p[i].vx -= dx * p[j].mass * mag; p[i].vy -= dy * p[j].mass * mag;
                p[i].vz -= dz * p[j].mass * mag;
                p[j].vx += dx * p[i].mass * mag; p[j].vy += dy * p[i].mass * mag;
                p[j].vz += dz * p[i].mass * mag;
            }
        for (long i = 0; i < n; i++) {
            p[i].x += 0.001 * p[i].vx; p[i].y += 0.001 * p[i].vy; p[i].z += 0.001 * p[i].vz;
        }
    }
    return suite_bits(energy(n));
}
SUITE_ENTRY(nbody)
