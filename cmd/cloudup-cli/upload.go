package main

import "context"

func runUpload(ctx context.Context, e *env, args []string) error {
	return usagef("not implemented yet")
}
