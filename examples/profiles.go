// Package examples holds what sfemu's bundled receivers ship besides their
// code: their receiver profiles (docs/RECEIVERS.md), embedded so that
// `sfemu run` knows them wherever it runs.
package examples

import _ "embed"

// ReceiverProfile is examples/receiver/profile.yaml, the Go example
// receiver's profile.
//
//go:embed receiver/profile.yaml
var ReceiverProfile []byte
