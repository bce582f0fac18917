//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

// trim is a no-op where fault-around is not a concern.
func trim(*bolt.Tx) {}
