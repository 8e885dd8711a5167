/* contrast.c — out = alpha * in + beta on R, G, B (alpha Q16, beta in sample units), clamped;
 * alpha kept.  alpha = 1.5, beta = -16384 boosts contrast around mid-grey. */
#include "farbfeld.h"

struct ff_contrast {
    int32_t alpha; /* Q16: 65536 is 1.0 */
    int32_t beta;  /* added after scaling, in 1/65535 of full scale */
};

long filter(const uint8_t *in, uint64_t in_len, uint8_t *out, const void *params, uint64_t params_len)
{
    const struct ff_contrast *p = params;
    struct ff_image im;
    long status = ff_open(&im, in, in_len, out);

    if (status != FF_OK)
        return status;
    if (params_len != sizeof(*p))
        return FF_ERR_PARAMS;
    for (int64_t y = 0; y < im.height; y++)
        for (int64_t x = 0; x < im.width; x++) {
            for (int c = 0; c < 3; c++)
                ff_put(&im, x, y, c, ff_round_shift(p->alpha * ff_sample(&im, x, y, c), 16) + p->beta);
            ff_keep_alpha(&im, x, y);
        }
    return FF_OK;
}
