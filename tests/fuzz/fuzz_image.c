/*
 * fuzz_image.c: libFuzzer harness for avatar sniffing (api/image.c).
 *
 * The input, copied to a heap block of exactly its size (so that
 * AddressSanitizer sees any read past its end), goes to image_probe().
 * Oracles besides the sanitizers: the verdict is one of the four; an image
 * found well-formed has a known type with its media type, and a canvas of
 * at least 1x1 within IMAGE_MAX_SIDE and IMAGE_MAX_PIXELS; and a
 * verdict does not depend on bytes the probe was not given (probing again
 * gives the same answer).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/image.h"
#include "../../api/limits.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_info info, again;
	enum image_verdict v, v2;
	uint8_t *copy = malloc(size ? size : 1);

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	memset(&info, 0, sizeof(info));
	v = image_probe(copy, size, &info);
	if (v != IMAGE_OK && v != IMAGE_UNSUPPORTED && v != IMAGE_CORRUPT &&
	    v != IMAGE_TOO_LARGE) {
		fprintf(stderr, "fuzz: verdict %d out of range\n", (int)v);
		abort();
	}
	if (v == IMAGE_OK && (info.type == IMAGE_NONE ||
	    image_mime(info.type) == NULL || info.width == 0 ||
	    info.height == 0 || info.width > IMAGE_MAX_SIDE ||
	    info.height > IMAGE_MAX_SIDE ||
	    (uint64_t)info.width * info.height > IMAGE_MAX_PIXELS)) {
		fprintf(stderr, "fuzz: well-formed %d with a bad canvas %ux%u\n",
		    (int)info.type, info.width, info.height);
		abort();
	}
	memset(&again, 0, sizeof(again));
	v2 = image_probe(copy, size, &again);
	if (v2 != v || again.type != info.type || again.width != info.width ||
	    again.height != info.height) {
		fprintf(stderr, "fuzz: two probes of the same bytes differ\n");
		abort();
	}
	free(copy);
	return 0;
}
