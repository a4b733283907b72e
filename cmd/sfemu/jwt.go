package main

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sfemu/sfemu/jwtbearer"
)

const jwtUsage = "usage: sfemu jwt --key FILE|--key-env VAR --iss CONSUMER_KEY --sub USERNAME [--aud URL] [--exp 3m] [--claim k=v]... [--decode]"

// jwtClaimFlags collects repeated --claim k=v flags.
type jwtClaimFlags map[string]any

func (c jwtClaimFlags) String() string { return "" }

func (c jwtClaimFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	switch {
	case !ok || k == "":
		return fmt.Errorf("want k=v, got %q", v)
	case k == "iss" || k == "sub" || k == "aud" || k == "exp":
		return fmt.Errorf("use --%s to set %q", k, k)
	}
	if _, dup := c[k]; dup {
		return fmt.Errorf("claim %q given twice", k)
	}
	c[k] = val
	return nil
}

// runJWT implements `sfemu jwt`: it mints a Salesforce JWT bearer assertion and prints it on stdout.
func runJWT(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sfemu jwt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key", "", "PEM `FILE` with the RSA private key (PKCS#1 or PKCS#8)")
	keyEnv := fs.String("key-env", "", "read the private key from environment variable `VAR` (the one-line \\n-escaped form works)")
	iss := fs.String("iss", "", "issuer: the app's `CONSUMER_KEY` (required)")
	sub := fs.String("sub", "", "subject: the `USERNAME` to log in as (required)")
	aud := fs.String("aud", "https://login.salesforce.com", "audience: https://login.salesforce.com, https://test.salesforce.com, or a My Domain `URL`")
	exp := fs.Duration("exp", 3*time.Minute, "expiry as a Go duration from now; negative makes an already-expired assertion")
	claims := jwtClaimFlags{}
	fs.Var(claims, "claim", "extra claim `k=v` with a string value, e.g. jti=1 or prn=USERNAME (repeatable)")
	decode := fs.Bool("decode", false, "also print the header and claims as indented JSON on stderr")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nPrints a signed JWT bearer assertion for POST /services/oauth2/token.\n\n", jwtUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usageError := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sfemu jwt: "+format+"\n%s\n", append(a, jwtUsage)...)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usageError("unexpected argument %q", fs.Arg(0))
	case *keyFile == "" && *keyEnv == "":
		return usageError("--key FILE or --key-env VAR is required")
	case *keyFile != "" && *keyEnv != "":
		return usageError("--key and --key-env cannot be used together")
	case *iss == "":
		return usageError("--iss is required (the app's consumer key)")
	case *sub == "":
		return usageError("--sub is required (the username)")
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "sfemu jwt: %v\n", err)
		return 1
	}

	key, err := loadJWTKey(*keyFile, *keyEnv)
	if err != nil {
		return fail(err)
	}
	c := jwtbearer.Claims{Issuer: *iss, Subject: *sub, Audience: *aud, Expiry: time.Now().Add(*exp)}
	if len(claims) > 0 {
		c.Extra = claims
	}
	token, err := jwtbearer.Mint(key, c)
	if err != nil {
		return fail(err)
	}
	if *decode {
		if err := printDecodedJWT(stderr, token); err != nil {
			return fail(err)
		}
	}
	fmt.Fprintln(stdout, token)
	return 0
}

func loadJWTKey(file, envVar string) (*rsa.PrivateKey, error) {
	if file != "" {
		return jwtbearer.LoadPrivateKeyFile(file)
	}
	v, ok := os.LookupEnv(envVar)
	switch {
	case !ok:
		return nil, fmt.Errorf("environment variable %s is not set", envVar)
	case strings.TrimSpace(v) == "":
		return nil, fmt.Errorf("environment variable %s is empty", envVar)
	}
	key, err := jwtbearer.LoadPrivateKey([]byte(v))
	if err != nil {
		return nil, fmt.Errorf("private key in $%s: %w", envVar, err)
	}
	return key, nil
}

// printDecodedJWT writes the token's header and claims as indented JSON.
func printDecodedJWT(w io.Writer, token string) error {
	segments := strings.Split(token, ".")
	for i, title := range []string{"header", "claims"} {
		raw, err := base64.RawURLEncoding.DecodeString(segments[i])
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s:\n%s\n", title, buf.Bytes())
	}
	return nil
}
