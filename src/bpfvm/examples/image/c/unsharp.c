/* unsharp.c — unsharp masking: with b = in convolved with the blur kernel given as a parameter
 * (clamped to 0..65535, an image), out = in + amount * (in - b) where |in - b| >= threshold
 * (amount Q16), else in; on R, G, B, clamped; alpha kept. */
#include "farbfeld.h"

struct ff_unsharp {
    struct ff_kernel blur;
    int32_t amount;    /* Q16 */
    int32_t threshold; /* sample units */
};

long filter(const uint8_t *in, uint64_t in_len, uint8_t *out, const void *params, uint64_t params_len)
{
    const struct ff_unsharp *p = params;
    struct ff_image im;
    long status = ff_open(&im, in, in_len, out);

    if (status != FF_OK)
        return status;
    if (params_len != sizeof(*p) || !ff_kernel_ok(&p->blur) || p->amount < 0 || p->amount >= FF_WEIGHT_LIMIT)
        return FF_ERR_PARAMS;
    for (int64_t y = 0; y < im.height; y++)
        for (int64_t x = 0; x < im.width; x++) {
            for (int c = 0; c < 3; c++) {
                int64_t v = ff_sample(&im, x, y, c);
                int64_t blurred = ff_clamp(ff_convolve_at(&im, &p->blur, x, y, c), 0, FF_MAX);
                int64_t detail = v - blurred;
                int64_t size = detail < 0 ? -detail : detail;
                ff_put(&im, x, y, c, size < p->threshold ? v : v + ff_round_shift(p->amount * detail, 16));
            }
            ff_keep_alpha(&im, x, y);
        }
    return FF_OK;
}
