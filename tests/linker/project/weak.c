#include "project.h"

int tuning(void) { return 42; }
