package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sfemu/sfemu/jwtbearer"
)

const keygenUsage = "usage: sfemu keygen --out DIR [--name server] [--days 365 | --expired] [--cn CN] [--pkcs1] [--force]"

// runKeygen implements `sfemu keygen`.
//
// Like `openssl genrsa 2048` plus `openssl req -new -x509 -days N`, it writes DIR/NAME.key (a fresh RSA
// private key, mode 0600) and DIR/NAME.crt (a self-signed certificate for it, for the app).
func runKeygen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sfemu keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "`DIR`ectory to write NAME.key and NAME.crt into; created if missing (required)")
	name := fs.String("name", "server", "base `NAME` of the two files")
	days := fs.Int("days", 365, "certificate validity in `N` days from now")
	expired := fs.Bool("expired", false, "make a certificate that expired yesterday (valid from 2 days ago)")
	cn := fs.String("cn", "sfemu test", "certificate subject common name")
	pkcs1 := fs.Bool("pkcs1", false, `write the key as PKCS#1 "RSA PRIVATE KEY" instead of PKCS#8 "PRIVATE KEY"`)
	force := fs.Bool("force", false, "overwrite existing files")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nWrites a fresh RSA key and a self-signed certificate for an External Client App.\n\n", keygenUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usageError := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sfemu keygen: "+format+"\n%s\n", append(a, keygenUsage)...)
		return 2
	}
	daysSet := false
	fs.Visit(func(f *flag.Flag) { daysSet = daysSet || f.Name == "days" })
	switch {
	case fs.NArg() > 0:
		return usageError("unexpected argument %q", fs.Arg(0))
	case *out == "":
		return usageError("--out is required")
	case *name == "" || *name == "." || *name == ".." || strings.ContainsAny(*name, `/\`):
		return usageError("--name %q must be a plain file name, without a directory", *name)
	case *expired && daysSet:
		return usageError("--days and --expired cannot be used together")
	case !*expired && *days <= 0:
		return usageError("--days must be at least 1 (use --expired for an expired certificate)")
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "sfemu keygen: %v\n", err)
		return 1
	}

	keyPath := filepath.Join(*out, *name+".key")
	certPath := filepath.Join(*out, *name+".crt")
	if !*force {
		for _, p := range []string{keyPath, certPath} {
			if _, err := os.Lstat(p); err == nil {
				return fail(fmt.Errorf("%s already exists; use --force to overwrite it", p))
			}
		}
	}

	now := time.Now()
	opt := jwtbearer.KeyPairOptions{CommonName: *cn, PKCS1: *pkcs1,
		NotBefore: now.Add(-time.Minute), NotAfter: now.AddDate(0, 0, *days)}
	if *expired {
		opt.NotBefore, opt.NotAfter = now.AddDate(0, 0, -2), now.AddDate(0, 0, -1)
	}
	keyPEM, certPEM, err := jwtbearer.GenerateKeyPair(opt)
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail(err)
	}
	if err := writeKeygenFile(keyPath, keyPEM, 0o600, *force); err != nil {
		return fail(err)
	}
	if err := writeKeygenFile(certPath, certPEM, 0o644, *force); err != nil {
		return fail(err)
	}

	format := "PKCS#8"
	if *pkcs1 {
		format = "PKCS#1"
	}
	validity := fmt.Sprintf("valid %s to %s", opt.NotBefore.UTC().Format(time.DateOnly), opt.NotAfter.UTC().Format(time.DateOnly))
	if *expired {
		validity = fmt.Sprintf("expired %s, on purpose", opt.NotAfter.UTC().Format(time.DateOnly))
	}
	fmt.Fprintf(stdout, "wrote %s (RSA 2048 private key, %s) and %s (certificate, CN %q, %s)\n",
		keyPath, format, certPath, *cn, validity)
	fmt.Fprintf(stdout, "next: upload %s to the app's certificate (fixture: certificate: %s); sign JWTs with %s\n",
		*name+".crt", *name+".crt", *name+".key")
	return 0
}

// writeKeygenFile writes data to path with mode perm, refusing to replace an existing file unless force.
func writeKeygenFile(path string, data []byte, perm os.FileMode, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if !force {
		flags |= os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, perm)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists; use --force to overwrite it", path)
	}
	if err != nil {
		return err
	}
	if force {
		// An overwritten file keeps its old mode; a private key must not stay world-readable.
		if err := f.Chmod(perm); err != nil {
			f.Close()
			return err
		}
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
