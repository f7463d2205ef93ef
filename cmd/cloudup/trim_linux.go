//go:build linux

package main

/*
#include <malloc.h>
*/
import "C"

import "time"

// trimCHeap gives the C allocator's free pages back to the system now and
// then. The toolkit's renderer (Mesa, for software rendering all of it)
// allocates and frees a texture for every text that changes; glibc keeps
// the freed pages, and over a long batch that is tens of megabytes the
// window no longer uses.
func trimCHeap(every time.Duration) {
	for range time.Tick(every) {
		C.malloc_trim(0)
	}
}
