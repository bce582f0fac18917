package main

import (
	"context"
	"errors"
	"io"
)

var errNotYet = errors.New("not built yet")

func benchCrash(ctx context.Context, o options, dir string, f *figures, w io.Writer) (any, error) {
	return nil, errNotYet
}

func benchFootprint(ctx context.Context, o options, dir string, f *figures, w io.Writer) (any, error) {
	return nil, errNotYet
}
