/* The host interface of bpfvm's DOOM platform layer: five calls the host provides.
 *
 * Under bpfvm these are intrinsics, bound by name to Python (bpfvm.examples.doom); in the native
 * reference build (gcc) doom_host_native.c implements them with the same semantics, so that the
 * two builds render the same frames.
 */
#ifndef DOOM_HOST_H
#define DOOM_HOST_H

#include <stdint.h>

/* A frame is ready: `pixels` holds width*height XRGB8888 words, drawn after `tic` game tics.
 * Returns non-zero when the host wants the game to stop (window closed, enough frames). */
int doom_host_frame(const uint32_t *pixels, int width, int height, int tic);
/* Milliseconds since start: the wall clock, or in deterministic runs a virtual clock that only
 * doom_host_sleep_ms advances. */
uint32_t doom_host_ticks_ms(void);
void doom_host_sleep_ms(uint32_t ms);
/* The next key event as (pressed << 8) | doomkey, or -1 when the queue is empty. */
int doom_host_key(void);
void doom_host_title(const char *title);

#endif
