// Package layering holds the test that keeps bilayer's import rules
// (DESIGN.md section 2): imports point downward only, core imports no
// sibling, the pure packages do no I/O, and each third-party networking or
// storage library has exactly one importer. It has no code of its own.
package layering
