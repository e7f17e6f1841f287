//go:build tools

// Package tools pins github.com/fluxcd/flux2/v2 (the flux CLI, for the status benchmark) for
// the testbed build; the binary is built with "go build github.com/fluxcd/flux2/v2/cmd/flux"
// from this module.
package tools

import _ "github.com/fluxcd/flux2/v2/cmd/flux"
