//go:build !unix

package emulator_test

import "time"

// processCPU is 0 where getrusage is not there: the benchmark's CPU figure
// reads 0.
func processCPU() time.Duration { return 0 }
