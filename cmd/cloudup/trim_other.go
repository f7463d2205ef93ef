//go:build !linux

package main

import "time"

// trimCHeap has nothing to do where the C allocator is not glibc's.
func trimCHeap(time.Duration) {}
