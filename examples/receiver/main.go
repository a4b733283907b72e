// Command receiver is an example Salesforce outbound-message receiver, built
// the way vendors build theirs: it accepts SOAP notifications, checks the
// organization, authenticates with the message's session ID when there is
// one and otherwise with the OAuth 2.0 JWT bearer flow as the org's
// registered send user, reads the record, writes the outcome back, dedupes
// on the Notification Id and acknowledges only when everything succeeded.
// It calls back over REST, or (--api soap) over the Partner SOAP API as
// receivers written before February 2026 did; --login soap-login logs in
// with SOAP login() instead of JWT bearer.
//
// It stands for a vendor's independent code: it imports nothing from sfemu.
// Configuration is by flags with environment fallbacks; see README.md.
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
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, logLevel, err := loadConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "receiver:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel}))
	rcv := NewReceiver(cfg, log, nil)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		fmt.Fprintf(stderr, "receiver: --listen / RECEIVER_LISTEN: %v\n", err)
		return 1
	}
	srv := &http.Server{
		Handler:           rcv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Salesforce gives up on an answer after 60 s.
		WriteTimeout: 65 * time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	orgs := make([]string, len(cfg.Orgs))
	for i, o := range cfg.Orgs {
		orgs[i] = o.OrgID
	}
	log.Info("listening", "url", "http://"+ln.Addr().String()+cfg.Path, "mode", cfg.Mode, "api", cfg.API, "login", cfg.Login,
		"writeback", cfg.Writeback, "api_version", cfg.APIVersion, "orgs", strings.Join(orgs, ","))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Error("server stopped", "error", err)
		return 1
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Warn("shutdown", "error", err)
	}
	log.Info("stopped")
	return 0
}

// option is one flag with its environment fallback and default.
type option struct {
	flag, env, def, usage string
	value                 *string
	name                  setting // where the value came from, for errors
}

// loadConfig reads flags, then the environment for flags not given, then
// defaults. Errors name the flag or variable to fix.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (*Config, slog.Level, error) {
	fs := flag.NewFlagSet("receiver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := []*option{
		{flag: "listen", env: "RECEIVER_LISTEN", def: "127.0.0.1:8086", usage: "address to listen on"},
		{flag: "path", env: "RECEIVER_PATH", def: "/outbound", usage: "path outbound messages are POSTed to"},
		{flag: "mode", env: "RECEIVER_MODE", def: ModeMigrated, usage: "migrated (session ID, else JWT bearer) | unmigrated (session ID only)"},
		{flag: "api", env: "RECEIVER_API", def: APIREST, usage: "rest (REST API) | soap (the Partner API at the message's PartnerUrl, or at the instance after a login)"},
		{flag: "login", env: "RECEIVER_LOGIN", def: LoginJWT, usage: "jwt (OAuth JWT bearer) | soap-login (SOAP login() with --username and --password; retired in Summer '27)"},
		{flag: "api-version", env: "SF_API_VERSION", def: "60.0", usage: "REST API version called (SOAP calls use the version of the message's PartnerUrl)"},
		{flag: "writeback", env: "RECEIVER_WRITEBACK", def: WritebackField, usage: "field (PATCH the status field) | task (create a Task) | event (publish Outbound_Processed__e)"},
		{flag: "status-field", env: "RECEIVER_STATUS_FIELD", def: "Receiver_Status__c", usage: "field written with \"processed <notification id>\""},
		{flag: "fields", env: "RECEIVER_FIELDS", def: "Id", usage: "comma-separated fields queried from the record"},
		{flag: "dedupe-size", env: "RECEIVER_DEDUPE_SIZE", def: "100000", usage: "how many processed notification ids are remembered"},
		{flag: "log-level", env: "RECEIVER_LOG_LEVEL", def: "info", usage: "debug | info | warn | error"},
		{flag: "config", env: "RECEIVER_CONFIG", usage: "JSON file with several orgs: {\"orgs\":[{\"org_id\",\"login_url\",…}]}"},
		{flag: "org-id", env: "SF_ORG_ID", usage: "the one org accepted (15 or 18 characters)"},
		{flag: "login-url", env: "SF_LOGIN_URL", usage: "base URL of the token endpoint's host (default https://login.salesforce.com)"},
		{flag: "audience", env: "SF_AUDIENCE", usage: "aud of the JWT (default https://login.salesforce.com; https://test.salesforce.com for test.salesforce.com logins)"},
		{flag: "consumer-key", env: "SF_CONSUMER_KEY", usage: "consumer key of the app (iss of the JWT)"},
		{flag: "username", env: "SF_USERNAME", usage: "the org's registered send user (sub of the JWT)"},
		{flag: "private-key", env: "SF_PRIVATE_KEY", usage: "inline PEM private key (PKCS#1 or PKCS#8; \\n-escaped accepted)"},
		{flag: "private-key-file", env: "SF_PRIVATE_KEY_FILE", usage: "path of the PEM private key"},
		{flag: "password", env: "SF_PASSWORD", usage: "the send user's password, for --login soap-login"},
	}
	byFlag := map[string]*option{}
	for _, o := range opts {
		o.value = new(string)
		usage := o.usage + " (env " + o.env
		if o.def != "" {
			usage += ", default " + o.def
		}
		fs.StringVar(o.value, o.flag, "", usage+")")
		byFlag[o.flag] = o
	}
	if err := fs.Parse(args); err != nil {
		return nil, 0, err
	}
	if fs.NArg() > 0 {
		return nil, 0, fmt.Errorf("unexpected argument %q (all settings are --flags or environment variables)", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, o := range opts {
		switch {
		case given[o.flag]:
			o.name = setting("--" + o.flag)
		case getenv(o.env) != "":
			*o.value, o.name = getenv(o.env), setting(o.env)
		default:
			*o.value, o.name = o.def, setting("--"+o.flag+" / "+o.env)
		}
	}
	get := func(f string) string { return *byFlag[f].value }
	name := func(f string) setting { return byFlag[f].name }

	cfg := &Config{
		Listen:      get("listen"),
		Path:        get("path"),
		Mode:        strings.ToLower(get("mode")),
		API:         strings.ToLower(get("api")),
		Login:       strings.ToLower(get("login")),
		Writeback:   strings.ToLower(get("writeback")),
		StatusField: get("status-field"),
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(get("log-level"))); err != nil {
		return nil, 0, name("log-level").errorf("%q: want debug, info, warn or error", get("log-level"))
	}
	if !strings.HasPrefix(cfg.Path, "/") || cfg.Path == "/healthz" || cfg.Path == "/processed" {
		return nil, 0, name("path").errorf("%q: want a path starting with / other than /healthz and /processed", cfg.Path)
	}
	if cfg.Mode != ModeMigrated && cfg.Mode != ModeUnmigrated {
		return nil, 0, name("mode").errorf("%q: want %s or %s", cfg.Mode, ModeMigrated, ModeUnmigrated)
	}
	if cfg.API != APIREST && cfg.API != APISOAP {
		return nil, 0, name("api").errorf("%q: want %s or %s", cfg.API, APIREST, APISOAP)
	}
	if cfg.Login != LoginJWT && cfg.Login != LoginSOAPLogin {
		return nil, 0, name("login").errorf("%q: want %s or %s", cfg.Login, LoginJWT, LoginSOAPLogin)
	}
	if cfg.Writeback != WritebackField && cfg.Writeback != WritebackTask && cfg.Writeback != WritebackEvent {
		return nil, 0, name("writeback").errorf("%q: want %s, %s or %s", cfg.Writeback, WritebackField, WritebackTask, WritebackEvent)
	}
	v, err := normalizeAPIVersion(get("api-version"))
	if err != nil {
		return nil, 0, name("api-version").errorf("%v", err)
	}
	cfg.APIVersion = v
	if !fieldPattern.MatchString(cfg.StatusField) {
		return nil, 0, name("status-field").errorf("%q is not a field API name", cfg.StatusField)
	}
	for f := range strings.SplitSeq(get("fields"), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !fieldPattern.MatchString(f) {
			return nil, 0, name("fields").errorf("%q is not a field API name", f)
		}
		cfg.Fields = append(cfg.Fields, f)
	}
	if len(cfg.Fields) == 0 {
		cfg.Fields = []string{"Id"}
	}
	n, err := strconv.Atoi(get("dedupe-size"))
	if err != nil || n < 1 {
		return nil, 0, name("dedupe-size").errorf("%q: want a positive number", get("dedupe-size"))
	}
	cfg.DedupeSize = n

	login := "" // unmigrated receivers never log in
	if cfg.Mode == ModeMigrated {
		login = cfg.Login
	}
	if path := get("config"); path != "" {
		orgs, err := loadConfigFile(name("config"), path, login)
		if err != nil {
			return nil, 0, err
		}
		cfg.Orgs = append(cfg.Orgs, orgs...)
	}
	single := []string{"org-id", "login-url", "audience", "consumer-key", "username", "private-key", "private-key-file", "password"}
	anySingle := false
	for _, f := range single {
		anySingle = anySingle || get(f) != ""
	}
	if anySingle || len(cfg.Orgs) == 0 {
		o := &OrgConfig{OrgID: get("org-id"), LoginURL: get("login-url"), Audience: get("audience"),
			ConsumerKey: get("consumer-key"), Username: get("username"),
			PrivateKey: get("private-key"), PrivateKeyFile: get("private-key-file"), Password: get("password")}
		n := orgNames{name("org-id"), name("login-url"), name("audience"), name("consumer-key"), name("username"),
			name("private-key"), name("private-key-file"), name("password")}
		if len(cfg.Orgs) == 0 && o.OrgID == "" {
			return nil, 0, fmt.Errorf("no org configured: set %s (with %s, %s, %s and %s or %s), or give %s with several orgs",
				name("org-id"), name("login-url"), name("consumer-key"), name("username"), name("private-key"), name("private-key-file"), name("config"))
		}
		if err := o.finish(n, login); err != nil {
			return nil, 0, err
		}
		cfg.Orgs = append(cfg.Orgs, o)
	}
	seen := map[string]bool{}
	for _, o := range cfg.Orgs {
		if seen[orgKey(o.OrgID)] {
			return nil, 0, fmt.Errorf("org %s is configured twice", o.OrgID)
		}
		seen[orgKey(o.OrgID)] = true
	}
	return cfg, level, nil
}

// fieldPattern matches field API names, relationship paths included (Account.Name).
var fieldPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$`)

var apiVersionPattern = regexp.MustCompile(`^v?(\d{2,3})(\.0)?$`)

// normalizeAPIVersion accepts 60.0, v60.0 and 60, and returns 60.0.
func normalizeAPIVersion(v string) (string, error) {
	m := apiVersionPattern.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return "", fmt.Errorf("%q: want a REST API version such as 60.0", v)
	}
	return m[1] + ".0", nil
}
