/* colour.c — colour-space conversion by a 3x3 matrix: out[c] = (M[c] . RGB) / 2^shift + offset[c],
 * rounded and clamped; alpha kept.  With the BT.601 YUV matrix (the "yuv" filter) the output's
 * R, G, B hold Y, U, V, with U and V offset by 32768.  Any other linear space works as well. */
#include "farbfeld.h"

struct ff_matrix {
    int32_t m[9];      /* row-major, Q`shift` */
    int32_t offset[3]; /* added after the shift, in sample units */
    int32_t shift;
    int32_t reserved;  /* zero */
};

long filter(const uint8_t *in, uint64_t in_len, uint8_t *out, const void *params, uint64_t params_len)
{
    const struct ff_matrix *p = params;
    struct ff_image im;
    long status = ff_open(&im, in, in_len, out);

    if (status != FF_OK)
        return status;
    if (params_len != sizeof(*p) || p->shift < 0 || p->shift > 30)
        return FF_ERR_PARAMS;
    for (int64_t y = 0; y < im.height; y++)
        for (int64_t x = 0; x < im.width; x++) {
            int64_t rgb[3] = {ff_sample(&im, x, y, 0), ff_sample(&im, x, y, 1), ff_sample(&im, x, y, 2)};
            for (int c = 0; c < 3; c++) {
                const int32_t *row = p->m + 3 * c;
                int64_t sum = (int64_t)row[0] * rgb[0] + (int64_t)row[1] * rgb[1] + (int64_t)row[2] * rgb[2];
                ff_put(&im, x, y, c, ff_round_shift(sum, p->shift) + p->offset[c]);
            }
            ff_keep_alpha(&im, x, y);
        }
    return FF_OK;
}
