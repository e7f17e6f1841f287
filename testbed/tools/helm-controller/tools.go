//go:build tools

// Package tools pins github.com/fluxcd/helm-controller for the testbed build; the binary is built with
// "go build github.com/fluxcd/helm-controller" from this module.
package tools

import _ "github.com/fluxcd/helm-controller"
