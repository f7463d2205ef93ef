package main

import "context"

func runURL(ctx context.Context, e *env, args []string) error { return usagef("not implemented yet") }
