// SPDX-License-Identifier: GPL-2.0-or-later
#include "ratelimit.h"

bool ratelimit_pass(struct ratelimit *rl, uint64_t now, uint64_t *suppressed)
{
	*suppressed = 0;
	if (!rl->begin || now - rl->begin >= rl->interval_ns) {
		*suppressed = rl->missed;
		rl->missed = 0;
		rl->used = 0;
		rl->begin = now ? now : 1;
	}
	if (rl->used < rl->burst) {
		rl->used++;
		return true;
	}
	rl->missed++;
	return false;
}
