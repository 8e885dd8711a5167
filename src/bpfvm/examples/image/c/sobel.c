/* sobel.c — edge detection: the gradient magnitude sqrt(gx^2 + gy^2) of the luma, gx and gy the
 * luma convolved with the two kernels given as parameters (the Sobel operator by default),
 * clamped to 0..65535 and written to R, G, B; alpha kept. */
#include "farbfeld.h"

struct ff_sobel {
    struct ff_kernel gx;
    struct ff_kernel gy;
};

/* A gradient component beyond this already saturates the magnitude: clamping to it keeps the
 * squares in range without changing the result. */
#define GRADIENT_LIMIT (1 << 17)

/* floor(sqrt(v)), bit by bit. */
static uint64_t isqrt(uint64_t v)
{
    uint64_t root = 0, bit = (uint64_t)1 << 62;

    while (bit > v)
        bit >>= 2;
    while (bit) {
        if (v >= root + bit) {
            v -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return root;
}

long filter(const uint8_t *in, uint64_t in_len, uint8_t *out, const void *params, uint64_t params_len)
{
    const struct ff_sobel *p = params;
    struct ff_image im;
    long status = ff_open(&im, in, in_len, out);

    if (status != FF_OK)
        return status;
    if (params_len != sizeof(*p) || !ff_kernel_ok(&p->gx) || !ff_kernel_ok(&p->gy))
        return FF_ERR_PARAMS;
    for (int64_t y = 0; y < im.height; y++)
        for (int64_t x = 0; x < im.width; x++) {
            int64_t gx = ff_clamp(ff_convolve_at(&im, &p->gx, x, y, FF_LUMA), -GRADIENT_LIMIT, GRADIENT_LIMIT);
            int64_t gy = ff_clamp(ff_convolve_at(&im, &p->gy, x, y, FF_LUMA), -GRADIENT_LIMIT, GRADIENT_LIMIT);
            int64_t magnitude = (int64_t)isqrt((uint64_t)(gx * gx + gy * gy));
            for (int c = 0; c < 3; c++)
                ff_put(&im, x, y, c, magnitude);
            ff_keep_alpha(&im, x, y);
        }
    return FF_OK;
}
