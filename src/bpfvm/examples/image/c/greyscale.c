/* greyscale.c — R = G = B = BT.601 luma (ff_luma), alpha kept.  No parameters. */
#include "farbfeld.h"

long filter(const uint8_t *in, uint64_t in_len, uint8_t *out, const void *params, uint64_t params_len)
{
    struct ff_image im;
    long status = ff_open(&im, in, in_len, out);

    (void)params;
    if (status != FF_OK)
        return status;
    if (params_len != 0)
        return FF_ERR_PARAMS;
    for (int64_t y = 0; y < im.height; y++)
        for (int64_t x = 0; x < im.width; x++) {
            int64_t luma = ff_sample(&im, x, y, FF_LUMA);
            for (int c = 0; c < 3; c++)
                ff_put(&im, x, y, c, luma);
            ff_keep_alpha(&im, x, y);
        }
    return FF_OK;
}
