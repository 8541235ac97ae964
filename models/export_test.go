package models

import "context"

// ComparePassword lets tests count how often sign-in paths hash.
var ComparePassword = &comparePassword

// The tables memos know of, for the test that they are every table.
var VersionedTables, DerivedTables, UnversionedTables = versionedTables, derivedTables, unversionedTables

// ReadFromReplicaAt marks ctx as reading from a replica that had replayed
// content version floor, as Replicas.ForPublicPage does.
func ReadFromReplicaAt(ctx context.Context, floor int64) context.Context {
	return context.WithValue(ctx, readFloorKey{}, floor)
}

// All is the version of all content ('*').
func (v ContentVersions) All() int64 { return v.versions["*"] }

// SetSearchCorpusMaxBytes changes the bound on a type's text in memory.
func SetSearchCorpusMaxBytes(n int) (restore func()) {
	old := searchCorpusMaxBytes
	searchCorpusMaxBytes = n
	return func() { searchCorpusMaxBytes = old }
}
