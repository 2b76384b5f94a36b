// Package quote renders strings in quotes, in the two forms bindgate needs: a caller's value
// inside an error message (Short) and a string literal of BIND's configuration grammar
// (BIND). It is the one place for both (issue 8, item 3); packages do not keep their own.
//
// It never validates: whether a value may appear at all is the caller's decision.
package quote
