package main

import "context"

func runLogin(ctx context.Context, e *env, args []string) error { return usagef("not implemented yet") }

func runLogout(ctx context.Context, e *env, args []string) error {
	return usagef("not implemented yet")
}

func runProfiles(ctx context.Context, e *env, args []string) error {
	return usagef("not implemented yet")
}

func runStatus(ctx context.Context, e *env, args []string) error {
	return usagef("not implemented yet")
}

func runSign(ctx context.Context, e *env, args []string) error { return usagef("not implemented yet") }
