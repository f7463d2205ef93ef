package main

import "context"

func runSearch(ctx context.Context, e *env, args []string) error {
	return usagef("not implemented yet")
}
