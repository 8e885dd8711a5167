/* A Mandelbrot tile: ASCII art and an iteration checksum. */
#include <stdio.h>

int main(void)
{
    const char *shades = " .:-=+*#%@";
    long checksum = 0;
    for (int row = 0; row < 24; row++) {
        for (int col = 0; col < 64; col++) {
            double cr = -2.2 + col * (3.0 / 64), ci = -1.2 + row * (2.4 / 24);
            double zr = 0.0, zi = 0.0;
            int n = 0;
            while (n < 100 && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                n++;
            }
            checksum += n * (row + 1) + col;
            putchar(shades[n % 10]);
        }
        putchar('\n');
    }
    printf("checksum %ld\n", checksum);
    return 0;
}
