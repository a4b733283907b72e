package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/emulator/rest"
	"github.com/sfemu/sfemu/fixtures"
)

// DefaultListen is where `sfemu serve` listens unless told otherwise.
const DefaultListen = "127.0.0.1:8085"

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runServe implements `sfemu serve`: it runs until SIGINT or SIGTERM, then
// shuts down gracefully.
func runServe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, stdout, stderr, nil)
}

// serve is runServe with a context to stop it and a hook that learns the
// base URL once the listener is up (for tests).
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(baseURL string)) int {
	fs := flag.NewFlagSet("sfemu serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var orgFiles stringList
	fs.Var(&orgFiles, "org", "org fixture YAML `FILE` (repeatable); none: the embedded default org")
	var metadataDirs stringList
	fs.Var(&metadataDirs, "metadata", "Salesforce metadata `DIR` (SFDX project or retrieved package; repeatable): the org's Setup, with --org giving its users and records (docs/METADATA.md)")
	listen := fs.String("listen", DefaultListen, "`ADDR` to listen on")
	publicURL := fs.String("public-url", "", "`URL` clients reach sfemu at (instance_url, identity URLs); default http://ADDR, https://ADDR with --tls")
	clockMode := fs.String("clock", "real", "real, or virtual (time moves only through the control API)")
	trustXFF := fs.Bool("trust-forwarded-for", false, "take client IPs from X-Forwarded-For (only behind a proxy you control)")
	sessionOverHTTP := fs.Bool("session-id-over-http", false, "let legacy outbound messages carry a session ID to http:// endpoints (Salesforce: https only)")
	ports := fs.String("outbound-ports", "current", "endpoint ports outbound messages may use: current (80, 443, 1024-65535), legacy (80, 443, 7000-10000) or any")
	logFormat := fs.String("log", "text", "request log format: text, json, or off")
	var tf tlsFlags
	tf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sfemu serve: unexpected argument %q (fixtures go with --org FILE)\n", fs.Arg(0))
		return 2
	}
	if err := tf.check(); err != nil {
		fmt.Fprintf(stderr, "sfemu serve: %v\n", err)
		return 2
	}
	var logger *slog.Logger
	switch *logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	case "json":
		logger = slog.New(slog.NewJSONHandler(stderr, nil))
	case "off":
		logger = slog.New(slog.DiscardHandler)
	default:
		fmt.Fprintf(stderr, "sfemu serve: --log %q: want text, json or off\n", *logFormat)
		return 2
	}

	switch *ports {
	case "current", "legacy", "any":
	default:
		fmt.Fprintf(stderr, "sfemu serve: --outbound-ports %q: want current, legacy or any\n", *ports)
		return 2
	}
	sources, trace, err := orgSources(orgFiles, metadataDirs, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "sfemu serve: %v\n", err)
		return 1
	}
	// emu is set before any listener serves, so before any handshake asks
	// the certificate for its names.
	var emu *emulator.Emulator
	var https *httpsSetup
	if tf.on() {
		var err error
		if https, err = tf.setup(*publicURL, []string{*listen, tf.listen}, func() []string { return emu.MyDomainHosts() }); err != nil {
			fmt.Fprintf(stderr, "sfemu serve: %v\n", err)
			return 1
		}
		if https.ca != nil && https.ca.Unsaved != nil {
			logger.Warn("TLS: the local CA is in memory only, a new one at each start", "reason", https.ca.Unsaved)
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "sfemu serve: %v\n", err)
		return 1
	}
	listeners := []servedListener{{ln, tf.tls}}
	if tf.listen != "" {
		tln, err := net.Listen("tcp", tf.listen)
		if err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "sfemu serve: --tls-listen: %v\n", err)
			return 1
		}
		listeners = append(listeners, servedListener{tln, true})
	}
	closeAll := func() {
		for _, l := range listeners {
			l.Close()
		}
	}
	base := strings.TrimRight(*publicURL, "/")
	if base == "" {
		base = listeners[0].url()
	}
	opts := emulator.Options{
		Orgs:              sources,
		PublicURL:         base,
		Clock:             emulator.ClockMode(*clockMode),
		TrustForwardedFor: *trustXFF,
		Logger:            logger,
		Outbound:          outbound.Settings{SessionOverHTTP: *sessionOverHTTP, Ports: *ports},
	}
	if https != nil && https.ca != nil {
		opts.TLSCA = https.ca.CertPEM
	}
	emu, err = emulator.New(opts)
	if err != nil {
		closeAll()
		fmt.Fprintf(stderr, "sfemu serve: %v\n", trace.Locate(err))
		return 1
	}
	defer emu.Close()
	var httpsBanner func(io.Writer)
	if https != nil {
		// The first certificate now, so that a name it cannot hold fails
		// the start rather than the first handshake, and the banner lists
		// what it covers.
		if err := https.issue(); err != nil {
			closeAll()
			fmt.Fprintf(stderr, "sfemu serve: %v\n", err)
			return 1
		}
		httpsBanner = func(w io.Writer) { https.printBanner(w, listeners) }
	}
	printBanner(stdout, emu, base, *clockMode, len(sources) == 0, httpsBanner)

	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	if https != nil {
		srv.TLSConfig = https.config
		// Handshake failures ("bad certificate": a client that does not
		// trust the CA) are worth seeing, in the request log.
		srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	}
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		if l.tls {
			go func() { errc <- srv.ServeTLS(l, "", "") }()
		} else {
			go func() { errc <- srv.Serve(l) }()
		}
	}
	if ready != nil {
		ready(base)
	}
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "sfemu serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "sfemu serve: shutdown: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "sfemu: stopped")
	return 0
}

// printBanner says where sfemu listens and what a client needs to log in,
// from the control API's view of the orgs; httpsBanner, when https is on,
// adds where and how to trust it.
func printBanner(w io.Writer, emu *emulator.Emulator, base, clockMode string, defaultOrg bool, httpsBanner func(io.Writer)) {
	ctx := context.Background()
	orgs, _ := emu.Orgs(ctx)
	msgs, _ := emu.OutboundMessages(ctx)
	apps, _ := emu.Apps(ctx)
	fmt.Fprintf(w, "sfemu %s serving on %s (clock: %s)\n", version(), base, clockMode)
	fmt.Fprintf(w, "  token endpoint  %s/services/oauth2/token\n", base)
	fmt.Fprintf(w, "  REST API        %s/services/data/v%.1f/ (query, sobjects, composite, search)\n", base, rest.DefaultLatestVersion)
	fmt.Fprintf(w, "  SOAP API        %s/services/Soap/u/%.1f (Partner), /services/Soap/c/%.1f (Enterprise); WSDLs at /soap/wsdl.jsp\n", base, rest.DefaultLatestVersion, rest.DefaultLatestVersion)
	fmt.Fprintf(w, "  control API     %s%s/ (health, orgs, apps, login history, requests, faults, clock, reset)\n", base, emulator.ControlPrefix)
	if httpsBanner != nil {
		httpsBanner(w)
	}
	for _, o := range orgs {
		fmt.Fprintf(w, "org %q %s (%s, outbound session IDs %s) from %s\n", o.Name, o.ID, o.Type, o.OutboundSessionID, o.Source)
		for _, m := range msgs {
			if m.Org == o.Name {
				fmt.Fprintf(w, "  outbound        %s (%s) → %s\n", m.Name, m.Object, m.EndpointURL)
			}
		}
		fmt.Fprintf(w, "  aud             %s or %s\n", o.LoginAudiences[0], base)
		users, _ := emu.Users(ctx, o.ID)
		for _, u := range users {
			fmt.Fprintf(w, "  user            %s (profile %s)\n", u.Username, u.Profile)
		}
		for _, a := range apps {
			if _, ok := a.Installations[o.Name]; ok {
				fmt.Fprintf(w, "  app             %s consumer key %s\n", a.Name, a.ConsumerKey)
			}
		}
	}
	if defaultOrg {
		fmt.Fprintf(w, "sign JWTs with the test-only key %s, e.g.\n  sfemu jwt --key %s --iss %s --sub %s --aud %s\n",
			fixtures.DefaultKeyFile, fixtures.DefaultKeyFile, fixtures.DefaultConsumerKey, fixtures.DefaultUsername, "https://login.salesforce.com")
	}
}
