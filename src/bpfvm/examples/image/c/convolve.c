/* convolve.c — R, G, B each convolved with the kernel given as the parameter (edges clamped),
 * clamped to 0..65535; alpha kept.  The blur (box, Gaussian) and sharpen filters. */
#include "farbfeld.h"

long filter(const uint8_t *in, uint64_t in_len, uint8_t *out, const void *params, uint64_t params_len)
{
    const struct ff_kernel *k = params;
    struct ff_image im;
    long status = ff_open(&im, in, in_len, out);

    if (status != FF_OK)
        return status;
    if (params_len != sizeof(*k) || !ff_kernel_ok(k))
        return FF_ERR_PARAMS;
    for (int64_t y = 0; y < im.height; y++)
        for (int64_t x = 0; x < im.width; x++) {
            for (int c = 0; c < 3; c++)
                ff_put(&im, x, y, c, ff_convolve_at(&im, k, x, y, c));
            ff_keep_alpha(&im, x, y);
        }
    return FF_OK;
}
