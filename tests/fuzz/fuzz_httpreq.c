// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for lib/httpreq.c, the metrics server's request
 * head: any bytes, cut into the reads a client could have sent them in
 * (the first byte sets the size of each), must get 0 until an answer and
 * then one of 200, 400, 404, 405 (anything else aborts; AddressSanitizer
 * catches a read past the input).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       tests/fuzz/fuzz_httpreq.c lib/httpreq.c -o /tmp/fuzz_httpreq
 *   /tmp/fuzz_httpreq -max_total_time=60 CORPUS_DIR
 *
 * Without libFuzzer, -DFUZZ_MAIN builds a driver that runs every
 * file named on the command line once.
 */
#include <stdint.h>
#include <stdlib.h>

#include "httpreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data + 1;
	size_t len = 0, step;
	int st = 0;

	if (size < 2)
		return 0;
	step = 1 + data[0] % 16;
	while (len < size - 1 && !st) {
		size_t fresh = step < size - 1 - len ? step : size - 1 - len;

		len += fresh;
		st = httpreq_status(buf, len, size - 1, fresh, "/metrics");
		if (st && st != 200 && st != 400 && st != 404 && st != 405)
			abort();
	}
	return 0;
}

#include "replay.h"
