package main

import "context"

func runSandbox(ctx context.Context, e *env, args []string) error {
	return usagef("not implemented yet")
}
