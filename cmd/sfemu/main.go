// Command sfemu is a local, offline fake Salesforce and scenario harness.
// Each subcommand is a thin layer of flags over the packages that do the work.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/sfemu/sfemu/internal/buildinfo"
)

const usage = `sfemu — a local fake Salesforce for outbound-message receivers

Usage:
  sfemu serve   [--org FILE]... [--listen ADDR] [--public-url URL] [--clock real|virtual] [--clock-start TIME]
                [--endpoint [ORG=]URL]... [--trust-ca FILE]... [--notification-id-base N]
                [--tls | --tls-listen ADDR] [--tls-name NAME]... [--tls-dir DIR | --tls-cert FILE --tls-key FILE]
                [--control-token TOKEN | --control-open] [--allow-host NAME]...  (a token is required beyond loopback)
                (every flag also from $SFEMU_<FLAG>: SFEMU_ORG, SFEMU_LISTEN, SFEMU_ENDPOINT…)
  sfemu keygen  --out DIR [--name NAME] [--days N | --expired]
  sfemu jwt     --key FILE --iss CONSUMER_KEY --sub USERNAME [--aud URL] [--exp 3m]
  sfemu send    [--emulator URL] --message NAME (--record ID... | --where 'SOQL condition')
  sfemu queue   [--emulator URL] [--all] [--org ORG] [--limit N] [--json] [--retry ID | --delete ID]
  sfemu logins | tokens | deliveries  [--emulator URL] [--org ORG] [--limit N] [--json]
                (Login History; token requests with Salesforce's error and sfemu's reason; delivery attempts)
                (every command that talks to a running sfemu takes --control-token TOKEN, default $SFEMU_CONTROL_TOKEN)
  sfemu run     [--receiver example|container:IMAGE|url:URL|cmd:'COMMAND'] [--profile FILE] [--junit FILE]
                [--keep-on-failure] [PATH...]
  sfemu merge-junit --out FILE REPORT...   (the shards of a CI matrix into one report)
                (run and merge-junit are the sfemu-harness binary, which sfemu starts from beside itself
                 or $PATH: make build, or go install github.com/sfemu/sfemu/cmd/...)
  sfemu health  [--url URL]
  sfemu version

Run 'sfemu COMMAND --help' for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(rest, stdout, stderr)
	case "keygen":
		return runKeygen(rest, stdout, stderr)
	case "jwt":
		return runJWT(rest, stdout, stderr)
	case "send":
		return runSend(rest, stdout, stderr)
	case "queue":
		return runQueue(rest, stdout, stderr)
	case "logins":
		return runLogins(rest, stdout, stderr)
	case "tokens":
		return runTokens(rest, stdout, stderr)
	case "deliveries":
		return runDeliveries(rest, stdout, stderr)
	case "run", "merge-junit":
		return runHarness(cmd, rest, stderr)
	case "health":
		return runHealth(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "sfemu", version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "sfemu: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// version is the build sfemu says it is: `sfemu version`, the banner.
func version() string { return buildinfo.Version() }
