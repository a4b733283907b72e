package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/sfemu/sfemu/internal/envflag"
	"github.com/sfemu/sfemu/wire"
)

const sendUsage = `usage: sfemu send [--emulator URL] [--control-token TOKEN] --message NAME [--org ORG] (--record ID ... | --where 'SOQL condition')`

// runSend implements `sfemu send`: queue outbound notifications for records.
func runSend(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sfemu send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	message := fs.String("message", "", "outbound message definition `NAME` (required)")
	orgName := fs.String("org", "", "the org, when several have a message of that name")
	var records envflag.StringList
	fs.Var(&records, "record", "record `ID` to notify about (repeatable)")
	where := fs.String("where", "", "send for every record matching this SOQL `condition`, e.g. \"Industry = 'Energy'\"")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *message == "" || (len(records) == 0 && *where == "") || fs.NArg() > 0 {
		fmt.Fprintln(stderr, sendUsage)
		return 2
	}
	out, err := cf.client().SendOutbound(context.Background(), *message, wire.Send{Org: *orgName, Records: records, Where: *where})
	if err != nil {
		fmt.Fprintf(stderr, "sfemu send: %v\n", err)
		return 1
	}
	for _, id := range out.Notifications {
		fmt.Fprintln(stdout, id)
	}
	fmt.Fprintf(stderr, "queued %d notification(s) of %s\n", len(out.Notifications), *message)
	return 0
}
