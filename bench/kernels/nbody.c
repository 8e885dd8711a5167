/* N-body in double: n leapfrog steps of five bodies (the Benchmarks Game's Jovian planets);
 * returns a checksum of the final positions' and energy's bits.  sqrt is IEEE correctly
 * rounded, so results are bit-exact. */
#include <math.h>
#include "bench.h"
#define BODIES 5
#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
struct body { double x, y, z, vx, vy, vz, mass; };
struct buffers { struct body bodies[BODIES]; };

static const struct body initial[BODIES] = {
    {0, 0, 0, 0, 0, 0, SOLAR_MASS},
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
     1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
     -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
     -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
     2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
     2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
     -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
     2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
     -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS},
};

static long bits(double d)
{
    union { double d; long l; } u = {d};
    return u.l;
}

static double energy(const struct body *p)
{
    double e = 0.0;
    for (int i = 0; i < BODIES; i++) {
        e += 0.5 * p[i].mass * (p[i].vx * p[i].vx + p[i].vy * p[i].vy + p[i].vz * p[i].vz);
        for (int j = i + 1; j < BODIES; j++) {
            double dx = p[i].x - p[j].x, dy = p[i].y - p[j].y, dz = p[i].z - p[j].z;
            e -= p[i].mass * p[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(struct body *p, double dt)
{
    for (int i = 0; i < BODIES; i++)
        for (int j = i + 1; j < BODIES; j++) {
            double dx = p[i].x - p[j].x, dy = p[i].y - p[j].y, dz = p[i].z - p[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            p[i].vx -= dx * p[j].mass * mag;
            p[i].vy -= dy * p[j].mass * mag;
            p[i].vz -= dz * p[j].mass * mag;
            p[j].vx += dx * p[i].mass * mag;
            p[j].vy += dy * p[i].mass * mag;
            p[j].vz += dz * p[i].mass * mag;
        }
    for (int i = 0; i < BODIES; i++) {
        p[i].x += dt * p[i].vx;
        p[i].y += dt * p[i].vy;
        p[i].z += dt * p[i].vz;
    }
}

static long nbody(struct buffers *b, long n)
{
    struct body *p = b->bodies;
    double px = 0.0, py = 0.0, pz = 0.0;
    for (int i = 0; i < BODIES; i++) {
        p[i] = initial[i];
        px += p[i].vx * p[i].mass;
        py += p[i].vy * p[i].mass;
        pz += p[i].vz * p[i].mass;
    }
    p[0].vx = -px / SOLAR_MASS;
    p[0].vy = -py / SOLAR_MASS;
    p[0].vz = -pz / SOLAR_MASS;
    for (long step = 0; step < n; step++)
        advance(p, 0.01);
    long sum = bits(energy(p));
    for (int i = 0; i < BODIES; i++)
        sum = sum * 31 + bits(p[i].x) + bits(p[i].y) * 7 + bits(p[i].z) * 13;
    return sum;
}
BENCH_ENTRY(nbody)
