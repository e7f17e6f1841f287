//go:build tools

// Package tools pins helm.sh/helm/v4 (the Helm CLI, for the chart's lint, template and install
// tests) for the testbed build; the binary is built with "go build helm.sh/helm/v4/cmd/helm"
// from this module.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
