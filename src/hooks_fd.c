/* The exported descriptor calls (see the descriptor issue). */
#include "fdtable.h"
