package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sfemu/sfemu/internal/envflag"
)

const healthUsage = `usage: sfemu health [--url http://127.0.0.1:8085]   (default: from $SFEMU_LISTEN when set)`

// healthTimeout bounds the whole health request, as a container health
// check must not hang.
const healthTimeout = 2 * time.Second

// runHealth implements `sfemu health`: GET URL/_sfemu/health and exit 0 only
// on 200. It is the emulator image's HEALTHCHECK (a FROM scratch image has no
// curl or wget), and works as a readiness probe in scripts.
func runHealth(args []string, stdout, stderr io.Writer) int {
	return health(args, os.LookupEnv, stdout, stderr)
}

// health is runHealth with the environment to read (os.LookupEnv).
func health(args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sfemu health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", healthURL(lookupEnv), "the emulator's base `URL` (default: http://127.0.0.1:PORT of $SFEMU_LISTEN when set, so the image's health check follows `sfemu serve`)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, healthUsage)
		return 2
	}
	target := strings.TrimRight(*base, "/") + "/_sfemu/health"
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintf(stderr, "sfemu health: %v\n", err)
		return 1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "sfemu health: %s is not answering: %v\n", target, err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "sfemu health: %s answered HTTP %d: %s\n", target, resp.StatusCode, strings.TrimSpace(string(body)))
		return 1
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
	return 0
}

// healthURL is where `sfemu serve` listens, as seen from the same machine:
// $SFEMU_LISTEN (an unspecified host is 127.0.0.1), else the default.
func healthURL(lookupEnv func(string) (string, bool)) string {
	listen, ok := lookupEnv(envflag.Name("listen"))
	if !ok || listen == "" {
		return "http://" + DefaultListen
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen // let the request say what is wrong
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
