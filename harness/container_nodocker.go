//go:build sfemu_nodocker

package harness

// Container receivers in a build without Docker support (-tags
// sfemu_nodocker, the image's sfemu): every call says so, and process and
// URL receivers work as in any build.

import (
	"context"
	"errors"
)

type (
	dockerNetwork   = *struct{}
	containerHandle = any
)

// errNoDocker is every container call's answer in this build.
var errNoDocker = errors.New("this sfemu was built without container receivers (-tags sfemu_nodocker, as the sfemu image is): " +
	"use a process receiver (cmd:…) or a URL (url:…), or run sfemu run from a build without the tag")

func (ce *containerEnv) setUp(context.Context) error { return errNoDocker }
func (ce *containerEnv) close()                      {}

func dockerBuild(context.Context, string, string, string) error { return errNoDocker }
func imageID(context.Context, string) string                    { return "" }
func removeImage(context.Context, string)                       {}

// DockerAvailable reports whether a Docker engine answers: never, here.
func DockerAvailable(context.Context) error { return errNoDocker }

func (c *containerReceiver) start(context.Context) error { return errNoDocker }
func (c *containerReceiver) started() bool               { return false }
func (c *containerReceiver) stop() error                 { return nil }
func (c *containerReceiver) terminate() error            { return nil }

// Leftovers finds nothing: this build makes no containers.
func Leftovers(context.Context, string, bool, bool) (containers, networks []string, err error) {
	return nil, nil, nil
}

// CleanLeftovers removes the build folders killed runs left; containers
// need a build with Docker support.
func CleanLeftovers(_ context.Context, force bool) (Cleaned, error) {
	return Cleaned{Folders: removeBuildFolders(!force)}, errNoDocker
}

func imageExists(context.Context, string) error { return &PreflightError{errNoDocker.Error()} }

func (ce *containerEnv) networkName() string     { return "" }
func (c *containerReceiver) containerID() string { return "" }
