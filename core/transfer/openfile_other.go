//go:build !unix

package transfer

// openNonBlock: no FIFOs to wait on here.
const openNonBlock = 0
