package models

// ComparePassword lets tests count how often sign-in paths hash.
var ComparePassword = &comparePassword

// The tables memos know of, for the test that they are every table.
var VersionedTables, DerivedTables, UnversionedTables = versionedTables, derivedTables, unversionedTables
