/* The host calls of doom_host.h for the native reference build (gcc, glibc).
 *
 * It reproduces the deterministic mode of bpfvm's Python host: a virtual clock that only
 * doom_host_sleep_ms advances, no key events, and the frame number DOOM_FRAMES (environment) —
 * or the first frame drawn after DOOM_TIC game tics — written as raw XRGB8888 words to the file
 * DOOM_OUT, after which the game stops.  Tests build
 * DOOM with this file and compare its frame with the one bpfvm renders.  With DOOM_REALTIME
 * set, the clock is the wall clock instead (for -timedemo, as bpfvm's real-clock host).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "doom_host.h"

static uint32_t clock_ms;
static long frames;

int doom_host_frame(const uint32_t *pixels, int width, int height, int tic)
{
    const char *limit = getenv("DOOM_FRAMES"), *tics = getenv("DOOM_TIC"), *out = getenv("DOOM_OUT");
    ++frames;
    if (tics != NULL ? tic < atol(tics) : limit == NULL || frames < atol(limit))
        return 0;
    if (out != NULL) {
        FILE *f = fopen(out, "wb");
        if (f == NULL || fwrite(pixels, 4, (size_t)width * height, f) != (size_t)width * height) {
            perror(out);
            exit(2);
        }
        fclose(f);
    }
    return 1;
}

static int realtime(void) { return getenv("DOOM_REALTIME") != NULL; }

uint32_t doom_host_ticks_ms(void)
{
    struct timespec now;
    if (!realtime())
        return clock_ms;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint32_t)(now.tv_sec * 1000 + now.tv_nsec / 1000000);
}

void doom_host_sleep_ms(uint32_t ms)
{
    if (realtime())
        usleep(ms * 1000);
    else
        clock_ms += ms;
}

int doom_host_key(void) { return -1; }

void doom_host_title(const char *title) { (void)title; }
