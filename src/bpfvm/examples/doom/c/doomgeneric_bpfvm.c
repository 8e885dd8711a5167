/* bpfvm's platform layer for doomgeneric: DG_* on top of the host calls of doom_host.h.
 *
 * doomgeneric (the cydoomgeneric variant) takes the platform as function pointers in
 * dg_Create and runs the game loop inside dg_main; every frame goes to the host through
 * DG_DrawFrame.  The screen is DOOM's own 320x200 (no scaling inside the guest): the host scales.
 */
#include <stdlib.h>

#include "d_loop.h"
#include "doom_host.h"
#include "doomgeneric.h"
#include "i_system.h"

enum { WIDTH = 320, HEIGHT = 200 };

static void draw_frame(void)
{
    if (doom_host_frame(DG_ScreenBuffer, DOOMGENERIC_RESX, DOOMGENERIC_RESY, gametic))
        exit(0);
}

static void sleep_ms(uint32_t ms) { doom_host_sleep_ms(ms); }

static uint32_t ticks_ms(void) { return doom_host_ticks_ms(); }

static int get_key(int *pressed, unsigned char *key)
{
    int event = doom_host_key();
    if (event < 0)
        return 0;
    *pressed = event >> 8;
    *key = (unsigned char)event;
    return 1;
}

static void set_title(const char *title) { doom_host_title(title); }

/* doomgeneric's I_Quit runs the exit functions and returns, and its I_Error spins forever
 * after printing the message (the platform is expected to stop the game).  Two exit functions
 * registered before the game's own make both end the program: the game's run first (the list
 * is last-in, first-out), then quitting() — only from I_Quit, which runs every function — then
 * stop(), which I_Error runs too (run_on_error).  So I_Quit exits 0 and I_Error exits 1. */
static int quitting;

static void mark_quitting(void) { quitting = 1; }

static void stop(void) { exit(quitting ? 0 : 1); }

int main(int argc, char **argv)
{
    I_AtExit(stop, true);
    I_AtExit(mark_quitting, false);
    dg_Create(WIDTH, HEIGHT, draw_frame, sleep_ms, ticks_ms, get_key, set_title);
    return dg_main(argc, argv);
}
