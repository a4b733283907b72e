package sfemucontainer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Dockerfile is the emulator image's Dockerfile, relative to a checkout of sfemu.
const Dockerfile = "build/sfemu.Dockerfile"

// builds remembers the images this process built, so that BuildImage builds
// each (checkout, tag) once however many tests ask for it.
var builds struct {
	mu   sync.Mutex
	done map[string]string
}

// BuildImage builds the emulator image from the sfemu checkout at repoRoot and
// tags it tag (e.g. "sfemu:dev"); it returns the image name to give Run. It
// compiles a static binary (CGO_ENABLED=0, for the Docker engine's OS and
// architecture) into a temporary directory and builds build/sfemu.Dockerfile
// there, FROM scratch: nothing is pulled. Within one process a (repoRoot, tag)
// pair is built once; later calls return at once. The image is kept: remove it
// with `docker rmi` when you no longer need it.
func BuildImage(ctx context.Context, repoRoot, tag string) (string, error) {
	PrepareEnvironment()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return "", fmt.Errorf("build sfemu image: %w", err)
	}
	key := root + "\x00" + tag
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if img, ok := builds.done[key]; ok {
		return img, nil
	}
	img, err := buildImage(ctx, root, tag)
	if err != nil {
		return "", fmt.Errorf("build sfemu image %s from %s: %w", tag, root, err)
	}
	if builds.done == nil {
		builds.done = map[string]string{}
	}
	builds.done[key] = img
	return img, nil
}

func buildImage(ctx context.Context, root, tag string) (string, error) {
	dockerfile, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(Dockerfile)))
	if err != nil {
		return "", fmt.Errorf("not an sfemu checkout: %w", err)
	}
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", fmt.Errorf("docker: %w", err)
	}
	defer provider.Close()
	server, err := provider.Client().ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", fmt.Errorf("docker engine: %w", err)
	}

	dir, err := os.MkdirTemp("", "sfemu-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)

	goos, goarch := server.Os, server.Arch
	if goos == "" {
		goos = "linux"
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(dir, "sfemu"), "./cmd/sfemu")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos)
	if goarch != "" {
		cmd.Env = append(cmd.Env, "GOARCH="+goarch)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("CGO_ENABLED=0 GOOS=%s GOARCH=%s go build ./cmd/sfemu: %w\n%s", goos, goarch, err, bytes.TrimSpace(out))
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), dockerfile, 0o644); err != nil {
		return "", err
	}

	repo, version := splitTag(tag)
	var buildLog bytes.Buffer
	req := &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context:        dir,
		Dockerfile:     "Dockerfile",
		Repo:           repo,
		Tag:            version,
		KeepImage:      true,
		BuildLogWriter: &buildLog,
	}}
	img, err := provider.BuildImage(ctx, req)
	if err != nil {
		return "", fmt.Errorf("docker build: %w\n%s", err, strings.TrimSpace(buildLog.String()))
	}
	return img, nil
}

// splitTag splits "repo:tag" (a registry host's port is part of the repo);
// with no tag, "latest".
func splitTag(ref string) (repo, tag string) {
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i], ref[i+1:]
	}
	return ref, "latest"
}
