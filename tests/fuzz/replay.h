/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Included at the end of each fuzz target. Without libFuzzer,
 * -DFUZZ_MAIN makes the target a program that runs every file named on
 * its command line once (a crash input, a corpus), so a finding can be
 * replayed under gdb or valgrind.
 */
#ifdef FUZZ_MAIN
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *d;
		long n;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		/* Exact size, so ASan sees a read one past the end. */
		d = malloc(n ? (size_t)n : 1);
		if (!d || fread(d, 1, (size_t)n, f) != (size_t)n) {
			perror(argv[i]);
			return 1;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(d, (size_t)n);
		free(d);
	}
	return 0;
}
#endif
