//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

// initialMmapSize is bbolt's default: on Windows a larger map would grow
// the file to its size.
const initialMmapSize = 0

// trim is a no-op where fault-around is not a concern.
func trim(*bolt.Tx) {}
