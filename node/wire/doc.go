// Package wire defines the bytes L1 validators exchange: consensus
// proposals (with their block), votes, and the conversion between the
// consensus machine's commit certificate and the one blocks carry. Every
// decoder takes a size limit and refuses trailing bytes; rounds, which the
// machine keeps as signed integers (-1 meaning none), are encoded as
// unsigned integers offset by one where they may be -1.
package wire
