package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/guard"
	"github.com/sfemu/sfemu/emulator/httplimit"
	"github.com/sfemu/sfemu/emulator/localca"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/emulator/persist"
	"github.com/sfemu/sfemu/emulator/rest"
	"github.com/sfemu/sfemu/fixtures"
	"github.com/sfemu/sfemu/internal/envflag"
	"github.com/sfemu/sfemu/internal/userfile"
)

// DefaultListen is where `sfemu serve` listens unless told otherwise.
const DefaultListen = "127.0.0.1:8085"

// runServe implements `sfemu serve`: it runs until SIGINT or SIGTERM, then
// shuts down gracefully.
func runServe(args []string, stdout, stderr io.Writer) int {
	// Started before the flags are read (and before NotifyContext, after
	// which it was measured to start later): the schema is much of a
	// start's work, and the second core is idle until New needs it.
	org.PrepareStandardSchema()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, os.LookupEnv, stdout, stderr, nil)
}

const serveSynopsis = "sfemu serve [flags]   (every flag also as $SFEMU_NAME)"

// serveFlags are `sfemu serve`'s flags (README.md lists them).
type serveFlags struct {
	orgFiles        envflag.StringList
	metadataDirs    envflag.StringList
	listen          string
	publicURL       string
	clockMode       string
	clockStart      string
	trustXFF        bool
	sessionOverHTTP bool
	ports           string
	queueLimit      int
	logFormat       string
	endpoints       envflag.StringList
	trustCAs        envflag.StringList
	notificationIDs optionalUint
	controlToken    string
	controlOpen     bool
	allowHosts      envflag.StringList
	tls             tlsFlags
	limits          httplimit.Limits
	dataDir         string
	dataDirFsync    bool
	dataDirReset    bool
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.orgFiles, "org", "org fixture YAML `FILE` (repeatable); none: the embedded default org")
	fs.Var(&f.metadataDirs, "metadata", "Salesforce metadata `DIR` (SFDX project or retrieved package; repeatable): the org's Setup, with --org giving its users and records (docs/METADATA.md)")
	fs.StringVar(&f.listen, "listen", DefaultListen, "`ADDR` to listen on")
	fs.StringVar(&f.publicURL, "public-url", "", "`URL` clients reach sfemu at (instance_url, identity URLs); default http://ADDR, https://ADDR with --tls")
	fs.StringVar(&f.clockMode, "clock", "real", "real, or virtual (time moves only through the control API)")
	fs.StringVar(&f.clockStart, "clock-start", "", "start the virtual clock at `TIME` (RFC 3339, e.g. 2026-02-20T09:00:00Z; the past too); implies --clock virtual")
	fs.BoolVar(&f.trustXFF, "trust-forwarded-for", false, "take client IPs from X-Forwarded-For (only behind a proxy you control)")
	fs.BoolVar(&f.sessionOverHTTP, "session-id-over-http", false, "let legacy outbound messages carry a session ID to http:// endpoints (Salesforce: https only)")
	fs.StringVar(&f.ports, "outbound-ports", "current", "endpoint ports outbound messages may use: current (80, 443, 1024-65535), legacy (80, 443, 7000-10000) or any")
	fs.IntVar(&f.queueLimit, "outbound-queue-limit", outbound.DefaultSettings().QueueLimit, "at most `N` outbound notifications wait for delivery per org: a send past it is refused (429), a rule's notification past it is dropped with its reason (docs/OUTBOUND.md)")
	fs.Var(&f.endpoints, "endpoint", "`[ORG=]URL`: send every org's outbound messages (with ORG=, that org's) to URL instead of their fixtures' endpoint_url (repeatable)")
	fs.Var(&f.trustCAs, "trust-ca", "trust the CA certificates in PEM `FILE` for outbound https, besides the system's (repeatable)")
	fs.Var(&f.notificationIDs, "notification-id-base", "number Notification Ids from `N`+1 on every start, for reproducible ids (0: 04lxx0000000001AAA first); default: from the wall clock, never repeating across restarts")
	fs.StringVar(&f.logFormat, "log", "text", "request log format: text, json, or off")
	fs.StringVar(&f.controlToken, "control-token", "", "ask every request under /_sfemu/ (control API, console) but the health check for `TOKEN` (Authorization: Bearer, or /_sfemu/ui/?token= once in a browser); required when --listen is not a loopback address")
	fs.BoolVar(&f.controlOpen, "control-open", false, "serve /_sfemu/ without a token on a non-loopback --listen, where only you reach the port (the image sets it: publish it as -p 127.0.0.1:8085:8085)")
	d := httplimit.Defaults()
	fs.DurationVar(&f.limits.ReadHeaderTimeout, "read-header-timeout", d.ReadHeaderTimeout, "close a connection whose request line and headers (or TLS handshake) take longer than `D`")
	fs.DurationVar(&f.limits.ReadTimeout, "read-timeout", d.ReadTimeout, "close a connection when 64 KiB of a request body take longer than `D` to arrive (a body dripping or stopped; a slow upload that keeps moving is never cut)")
	fs.DurationVar(&f.limits.WriteTimeout, "write-timeout", d.WriteTimeout, "close a connection when the client takes longer than `D` to take 64 KiB of an answer (it stopped reading)")
	fs.DurationVar(&f.limits.IdleTimeout, "idle-timeout", d.IdleTimeout, "close a keep-alive connection idle for `D`")
	fs.IntVar(&f.limits.MaxConnections, "max-connections", 0, "keep at most `N` connections open at once; clients beyond wait in the kernel's accept queue until one closes (0: three quarters of the open-file limit, at most 4096)")
	fs.IntVar(&f.limits.MaxHeaderBytes, "max-header-bytes", d.MaxHeaderBytes, "refuse (431) a request whose line and headers exceed `N` bytes; the API answers Salesforce's 414 or 431 past 16384 below that")
	fs.Var(&f.allowHosts, "allow-host", "one more host `NAME` the control API and console answer at (besides IP addresses, localhost, --public-url's, --tls-name's and the My Domains'), e.g. a container alias (repeatable)")
	fs.StringVar(&f.dataDir, "data-dir", "", "keep records, the outbound queue, sessions, Login History and id sequences in `DIR` (created 0700; its sfemu.db is 0600: it holds session tokens), so a restart, even after kill -9, loses nothing acknowledged; default: all state in memory, a restart begins from the fixtures (README: State)")
	fs.BoolVar(&f.dataDirFsync, "data-dir-fsync", false, "make each write wait for the disk, so the --data-dir state survives a power loss too (slower); a killed process loses nothing without it")
	fs.BoolVar(&f.dataDirReset, "data-dir-reset", false, "empty a --data-dir made over other fixtures instead of refusing to start")
	f.tls.register(fs)
}

// optionalUint is a number flag that knows whether it was given.
type optionalUint struct {
	n   uint64
	set bool
}

func (o *optionalUint) String() string {
	if !o.set {
		return ""
	}
	return strconv.FormatUint(o.n, 10)
}

func (o *optionalUint) Set(v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("want a whole number ≥ 0")
	}
	o.n, o.set = n, true
	return nil
}

// usageError is a bad flag: exit status 2.
type usageError struct{ error }

// options turns the flags into the emulator's options (the listener-bound
// parts, PublicURL and TLSCA, are the caller's). ref names a flag as the
// user gave it.
func (f *serveFlags) options(ref func(string) string, clockGiven bool, notes io.Writer) (emulator.Options, *fixturedoc.Trace, error) {
	opts := emulator.Options{
		Clock:             emulator.ClockMode(f.clockMode),
		TrustForwardedFor: f.trustXFF,
		Outbound:          outbound.Settings{SessionOverHTTP: f.sessionOverHTTP, Ports: f.ports, QueueLimit: f.queueLimit},
	}
	switch f.clockMode {
	case "real", "virtual":
	default:
		return opts, nil, usageError{fmt.Errorf("%s %q: want real or virtual", ref("clock"), f.clockMode)}
	}
	if f.clockStart != "" {
		t, err := time.Parse(time.RFC3339, f.clockStart)
		if err != nil {
			return opts, nil, usageError{fmt.Errorf("%s %q: want an RFC 3339 time such as 2026-02-20T09:00:00Z", ref("clock-start"), f.clockStart)}
		}
		if clockGiven && f.clockMode != "virtual" {
			return opts, nil, usageError{fmt.Errorf("%s is for the virtual clock, not %s real: the real clock reads the machine's time", ref("clock-start"), ref("clock"))}
		}
		opts.Clock, opts.VirtualStart = emulator.VirtualClock, t
	}
	switch f.ports {
	case "current", "legacy", "any":
	default:
		return opts, nil, usageError{fmt.Errorf("%s %q: want current, legacy or any", ref("outbound-ports"), f.ports)}
	}
	if f.dataDir == "" && (f.dataDirFsync || f.dataDirReset) {
		flag := "data-dir-fsync"
		if f.dataDirReset {
			flag = "data-dir-reset"
		}
		return opts, nil, usageError{fmt.Errorf("%s is for a data dir: give %s too", ref(flag), ref("data-dir"))}
	}
	opts.DataDir, opts.DataDirFsync, opts.DataDirReset = f.dataDir, f.dataDirFsync, f.dataDirReset
	if f.queueLimit < 1 {
		return opts, nil, usageError{fmt.Errorf("%s %d: want 1 or more", ref("outbound-queue-limit"), f.queueLimit)}
	}
	for _, e := range f.endpoints {
		ov, err := parseEndpoint(e)
		if err != nil {
			return opts, nil, usageError{fmt.Errorf("%s %q: %v", ref("endpoint"), e, err)}
		}
		opts.OutboundEndpoints = append(opts.OutboundEndpoints, ov)
	}
	for _, file := range f.trustCAs {
		pemBytes, err := userfile.Read(file, userfile.MaxPEM)
		if err != nil {
			return opts, nil, fmt.Errorf("%s: %v", ref("trust-ca"), err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pemBytes) {
			return opts, nil, fmt.Errorf("%s %s: no PEM certificate in the file (want -----BEGIN CERTIFICATE-----)", ref("trust-ca"), file)
		}
		opts.OutboundTrustedCAs = append(append(opts.OutboundTrustedCAs, pemBytes...), '\n')
	}
	if f.notificationIDs.set {
		opts.NotificationIDBase, opts.FixedNotificationIDs = f.notificationIDs.n, true
	}
	sources, trace, err := orgSources(f.orgFiles, f.metadataDirs, notes)
	if err != nil {
		return opts, nil, err
	}
	opts.Orgs = sources
	return opts, trace, nil
}

// checkControl refuses a control surface open to the network: a
// non-loopback listener needs --control-token, unless --control-open says
// only the user reaches it. A token, when given, always applies.
func (f *serveFlags) checkControl(ref func(string) string) error {
	if f.controlToken != "" {
		if err := guard.CheckToken(f.controlToken); err != nil {
			return fmt.Errorf("%s: %v", ref("control-token"), err)
		}
	}
	for i, h := range f.allowHosts {
		n, err := localca.CheckName(h)
		if err != nil {
			return fmt.Errorf("%s %q: %v", ref("allow-host"), h, err)
		}
		f.allowHosts[i] = n
	}
	if f.controlToken != "" || f.controlOpen {
		return nil
	}
	for _, l := range []struct{ name, addr string }{{"listen", f.listen}, {"tls-listen", f.tls.listen}} {
		if l.addr != "" && !loopbackAddr(l.addr) {
			return fmt.Errorf("%s %s is not a loopback address, so anyone who reaches it could drive the control API "+
				"(reset, read sessions, send messages): give %s TOKEN (or $%s), e.g. \"$(openssl rand -hex 16)\", "+
				"and the same to sfemu send/queue/run; or %s where only you reach the port (a container published on 127.0.0.1)",
				ref(l.name), l.addr, "--control-token", envflag.Name("control-token"), "--control-open")
		}
	}
	return nil
}

// loopbackAddr reports whether a listen address is on loopback only:
// localhost or a loopback IP; an empty host is every interface.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// controlHosts are the names besides the public URL's and the My
// Domains' the control API answers at: --allow-host, --tls-name, and the
// listen address's when it is a name.
func (f *serveFlags) controlHosts() []string {
	hosts := append(append([]string(nil), f.allowHosts...), f.tls.names...)
	for _, addr := range []string{f.listen, f.tls.listen} {
		if host, _, err := net.SplitHostPort(addr); err == nil && host != "" && net.ParseIP(host) == nil {
			hosts = append(hosts, host)
		}
	}
	return hosts
}

// parseEndpoint reads --endpoint's [ORG=]URL. A value that starts with a
// scheme is a URL, whatever "=" its query holds.
func parseEndpoint(v string) (emulator.EndpointOverride, error) {
	var ov emulator.EndpointOverride
	if lower := strings.ToLower(v); strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		ov.URL = v
	} else if name, u, ok := strings.Cut(v, "="); ok && strings.TrimSpace(name) != "" {
		ov.Org, ov.URL = strings.TrimSpace(name), strings.TrimSpace(u)
	} else {
		return ov, errors.New("want URL or ORG=URL, with an http:// or https:// URL")
	}
	if lower := strings.ToLower(ov.URL); !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return ov, errors.New("want an http:// or https:// URL")
	}
	return ov, nil
}

// serve is runServe with a context to stop it, the environment to read
// (os.LookupEnv) and a hook that learns the base URL once the listener is
// up (for tests).
func serve(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer, ready func(baseURL string)) int {
	fs := flag.NewFlagSet("sfemu serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serveFlags
	f.register(fs)
	env := envflag.Bind(fs, serveSynopsis)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sfemu serve: unexpected argument %q (fixtures go with --org FILE)\n", fs.Arg(0))
		return 2
	}
	clockGiven := false
	fs.Visit(func(fl *flag.Flag) { clockGiven = clockGiven || fl.Name == "clock" })
	if err := env.Apply(lookupEnv); err != nil {
		fmt.Fprintf(stderr, "sfemu serve: %v\n", err)
		return 2
	}
	clockGiven = clockGiven || env.FromEnv["clock"]
	tf := &f.tls
	// $SFEMU_TLS_DIR has always said where the local CA lives, also
	// without https (the image sets it): only --tls-dir itself is checked.
	tf.dirFromEnv = env.FromEnv["tls-dir"]
	if err := tf.check(); err != nil {
		fmt.Fprintf(stderr, "sfemu serve: %v\n", err)
		return 2
	}
	if err := f.checkControl(env.Ref); err != nil {
		fmt.Fprintf(stderr, "sfemu serve: %v\n", err)
		return 2
	}
	if err := f.limits.Check(env.Ref); err != nil {
		fmt.Fprintf(stderr, "sfemu serve: %v\n", err)
		return 2
	}
	var logger *slog.Logger
	switch f.logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	case "json":
		logger = slog.New(slog.NewJSONHandler(stderr, nil))
	case "off":
		logger = slog.New(slog.DiscardHandler)
	default:
		fmt.Fprintf(stderr, "sfemu serve: %s %q: want text, json or off\n", env.Ref("log"), f.logFormat)
		return 2
	}
	opts, trace, err := f.options(env.Ref, clockGiven, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "sfemu serve: %v\n", err)
		if errors.As(err, new(usageError)) {
			return 2
		}
		return 1
	}
	opts.Logger = logger
	counters := &httplimit.Counters{}
	opts.Connections = counters
	opts.ControlToken = f.controlToken
	opts.AllowedHosts = f.controlHosts()
	// emu is set before any listener serves, so before any handshake asks
	// the certificate for its names.
	var emu *emulator.Emulator
	var https *httpsSetup
	if tf.on() {
		var err error
		if https, err = tf.setup(f.publicURL, []string{f.listen, tf.listen}, func() []string { return emu.MyDomainHosts() }); err != nil {
			fmt.Fprintf(stderr, "sfemu serve: %v\n", err)
			return 1
		}
		if https.ca != nil && https.ca.Unsaved != nil {
			logger.Warn("TLS: the local CA is in memory only, a new one at each start", "reason", https.ca.Unsaved)
		}
	}
	ln, err := net.Listen("tcp", f.listen)
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
	base := strings.TrimRight(f.publicURL, "/")
	if base == "" {
		base = listeners[0].url()
	}
	opts.PublicURL = base
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
	printBanner(stdout, emu, base, len(opts.Orgs) == 0, opts.ControlToken != "", opts.DataDir, httpsBanner)

	srv := &http.Server{Handler: emu}
	httplimit.Configure(srv, f.limits, counters)
	if https != nil {
		srv.TLSConfig = https.config
		// Handshake failures ("bad certificate": a client that does not
		// trust the CA) are worth seeing, in the request log.
		srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	}
	errc := make(chan error, len(listeners))
	capacity := httplimit.NewCapacity(f.limits.MaxConnections, counters)
	for _, l := range listeners {
		ln := counters.Listen(capacity.Listen(l))
		if l.tls {
			go func() { errc <- srv.ServeTLS(ln, "", "") }()
		} else {
			go func() { errc <- srv.Serve(ln) }()
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
func printBanner(w io.Writer, emu *emulator.Emulator, base string, defaultOrg, controlToken bool, dataDir string, httpsBanner func(io.Writer)) {
	ctx := context.Background()
	orgs, _ := emu.Orgs(ctx)
	msgs, _ := emu.OutboundMessages(ctx)
	apps, _ := emu.Apps(ctx)
	clockLine := "real"
	if c, err := emu.Clock(ctx); err == nil && c.Mode == "virtual" {
		clockLine = "virtual, at " + c.Now.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(w, "sfemu %s serving on %s (clock: %s)\n", version(), base, clockLine)
	fmt.Fprintf(w, "  token endpoint  %s/services/oauth2/token\n", base)
	fmt.Fprintf(w, "  REST API        %s/services/data/v%.1f/ (query, sobjects, composite, search)\n", base, rest.DefaultLatestVersion)
	fmt.Fprintf(w, "  SOAP API        %s/services/Soap/u/%.1f (Partner), /services/Soap/c/%.1f (Enterprise); WSDLs at /soap/wsdl.jsp\n", base, rest.DefaultLatestVersion, rest.DefaultLatestVersion)
	fmt.Fprintf(w, "  control API     %s%s/ (health, orgs, apps, login history, requests, faults, clock, reset)\n", base, emulator.ControlPrefix)
	if controlToken {
		fmt.Fprintf(w, "  control token   asked under %s/ but health: Authorization: Bearer TOKEN, or open %s%s/ui/?token=TOKEN once in a browser\n", emulator.ControlPrefix, base, emulator.ControlPrefix)
	}
	fmt.Fprintf(w, "  console         %s%s/ (open it in a browser: logins and why they failed, the outbound queue, API calls, records, clock and faults)\n", base, emulator.ConsolePrefix)
	if dataDir != "" {
		fmt.Fprintf(w, "  state           kept in %s (--data-dir): a restart, even after kill -9, goes on from there\n", filepath.Join(dataDir, persist.FileName))
	} else {
		fmt.Fprintf(w, "  state           in memory: a restart begins again from the fixtures (--data-dir DIR keeps it)\n")
	}
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
