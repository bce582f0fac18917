package main

import (
	"context"
	"errors"
)

func runShell(ctx context.Context, e *env, args []string) error {
	return errors.New("shell is not implemented yet")
}
