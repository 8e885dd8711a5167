/*
 * farbfeld.h — the Farbfeld image format, fixed-point helpers and the filter entry point,
 * shared by every image filter in this directory (https://tools.suckless.org/farbfeld/).
 *
 * A Farbfeld image is
 *
 *     bytes 0..7    "farbfeld"
 *     bytes 8..11   width,  u32 big-endian
 *     bytes 12..15  height, u32 big-endian
 *     bytes 16..    width * height pixels, row-major, each R G B A as u16 big-endian
 *
 * Every filter is one function, filter(), reading a whole image at `in` and writing the image of
 * the same size to `out` (header included).  Its parameters are one struct at `params`, of
 * exactly `params_len` bytes.  It returns FF_OK or a negative ff_status, which the host turns into
 * a clear error.  All arithmetic is integer (fixed point): no floating point anywhere.
 *
 * The same sources build for BPF (bpfvm's toolchain) and natively (gcc), for the benchmarks.
 */
#ifndef FARBFELD_H
#define FARBFELD_H

#include <stdint.h>

#define FF_HEADER_SIZE 16
#define FF_PIXEL_SIZE 8
#define FF_MAX 65535
/* Channel index meaning "the pixel's luma" for ff_sample(). */
#define FF_LUMA 4

enum ff_status {
    FF_OK = 0,
    FF_ERR_SHORT = -1,     /* fewer than 16 bytes: no header */
    FF_ERR_MAGIC = -2,     /* the first 8 bytes are not "farbfeld" */
    FF_ERR_TRUNCATED = -3, /* fewer pixel bytes than width * height * 8 */
    FF_ERR_PARAMS = -4,    /* parameter block of the wrong size or with out-of-range values */
};

/* The 16-byte header as stored (width and height big-endian). */
struct ff_header {
    uint8_t magic[8];
    uint32_t width_be;
    uint32_t height_be;
};

/* An opened image: its pixels and those of the output, as u16 big-endian samples. */
struct ff_image {
    const uint16_t *in;
    uint16_t *out;
    int64_t width;
    int64_t height;
};

long filter(const uint8_t *in, uint64_t in_len, uint8_t *out, const void *params, uint64_t params_len);

static inline uint32_t ff_be32(uint32_t v) { return __builtin_bswap32(v); }

static inline int64_t ff_clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* v / 2^shift rounded half up (an arithmetic shift: floor for negative v). */
static inline int64_t ff_round_shift(int64_t v, int shift)
{
    return shift ? (v + ((int64_t)1 << (shift - 1))) >> shift : v;
}

/* Check the header and size of `in`, copy the header to `out` and describe both in `im`. */
static inline long ff_open(struct ff_image *im, const uint8_t *in, uint64_t in_len, uint8_t *out)
{
    static const char magic[] = "farbfeld";
    const struct ff_header *h = (const struct ff_header *)in;

    if (in_len < FF_HEADER_SIZE)
        return FF_ERR_SHORT;
    for (int i = 0; i < 8; i++)
        if (h->magic[i] != (uint8_t)magic[i])
            return FF_ERR_MAGIC;
    uint64_t width = ff_be32(h->width_be), height = ff_be32(h->height_be);
    uint64_t room = (in_len - FF_HEADER_SIZE) / FF_PIXEL_SIZE;
    if (height && width > room / height)
        return FF_ERR_TRUNCATED;
    *(struct ff_header *)out = *h;
    im->in = (const uint16_t *)(in + FF_HEADER_SIZE);
    im->out = (uint16_t *)(out + FF_HEADER_SIZE);
    im->width = (int64_t)width;
    im->height = (int64_t)height;
    return FF_OK;
}

/* BT.601 luma, weights 0.299 0.587 0.114 in Q16 (they sum to exactly 65536), rounded. */
static inline int64_t ff_luma(int64_t r, int64_t g, int64_t b)
{
    return (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
}

/* Channel c (0..3 = R G B A) of pixel (x, y), or its luma for c == FF_LUMA. */
static inline int64_t ff_sample(const struct ff_image *im, int64_t x, int64_t y, int c)
{
    const uint16_t *p = im->in + (y * im->width + x) * 4;
    if (c == FF_LUMA)
        return ff_luma(__builtin_bswap16(p[0]), __builtin_bswap16(p[1]), __builtin_bswap16(p[2]));
    return __builtin_bswap16(p[c]);
}

/* Store v, clamped to 0..65535, as channel c of output pixel (x, y). */
static inline void ff_put(const struct ff_image *im, int64_t x, int64_t y, int c, int64_t v)
{
    im->out[(y * im->width + x) * 4 + c] = __builtin_bswap16((uint16_t)ff_clamp(v, 0, FF_MAX));
}

/* Copy the alpha of pixel (x, y) to the output unchanged (every filter keeps alpha). */
static inline void ff_keep_alpha(const struct ff_image *im, int64_t x, int64_t y)
{
    im->out[(y * im->width + x) * 4 + 3] = im->in[(y * im->width + x) * 4 + 3];
}

/* ---------------------------------------------------------------- convolution */

#define FF_KERNEL_MAX 15
#define FF_WEIGHT_LIMIT (1 << 24)

/* A size x size kernel (size odd), weights row-major in Q`shift` fixed point. */
struct ff_kernel {
    int32_t size;
    int32_t shift;
    int32_t weights[FF_KERNEL_MAX * FF_KERNEL_MAX];
};

static inline int ff_kernel_ok(const struct ff_kernel *k)
{
    if (k->size < 1 || k->size > FF_KERNEL_MAX || !(k->size & 1) || k->shift < 0 || k->shift > 30)
        return 0;
    for (int i = 0; i < k->size * k->size; i++)
        if (k->weights[i] <= -FF_WEIGHT_LIMIT || k->weights[i] >= FF_WEIGHT_LIMIT)
            return 0;
    return 1;
}

/* The kernel applied to channel c around (x, y), coordinates clamped at the edges, rounded
 * and shifted back to sample units (not clamped: callers combine or clamp it). */
static inline int64_t ff_convolve_at(const struct ff_image *im, const struct ff_kernel *k,
                                     int64_t x, int64_t y, int c)
{
    int64_t n = k->size, r = n / 2, sum = 0;
    const int32_t *w = k->weights;

    for (int64_t j = 0; j < n; j++) {
        int64_t yy = ff_clamp(y + j - r, 0, im->height - 1);
        for (int64_t i = 0; i < n; i++)
            sum += (int64_t)*w++ * ff_sample(im, ff_clamp(x + i - r, 0, im->width - 1), yy, c);
    }
    return ff_round_shift(sum, k->shift);
}

#endif
