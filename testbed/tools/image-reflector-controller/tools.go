//go:build tools

// Package tools pins github.com/fluxcd/image-reflector-controller for the testbed build; the binary is built with
// "go build github.com/fluxcd/image-reflector-controller" from this module.
package tools

import _ "github.com/fluxcd/image-reflector-controller"
