//go:build tools

// Package tools pins github.com/fluxcd/source-controller for the testbed build; the binary is built with
// "go build github.com/fluxcd/source-controller" from this module.
package tools

import _ "github.com/fluxcd/source-controller"
