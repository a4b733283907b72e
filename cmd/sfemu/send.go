package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/wire"
)

const sendUsage = `usage: sfemu send [--emulator URL] --message NAME [--org ORG] (--record ID ... | --where 'SOQL condition')`

// runSend implements `sfemu send`: queue outbound notifications for records.
func runSend(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sfemu send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	emulatorURL := fs.String("emulator", "http://"+DefaultListen, "the running emulator's base `URL`")
	message := fs.String("message", "", "outbound message definition `NAME` (required)")
	orgName := fs.String("org", "", "the org, when several have a message of that name")
	var records stringList
	fs.Var(&records, "record", "record `ID` to notify about (repeatable)")
	where := fs.String("where", "", "send for every record matching this SOQL `condition`, e.g. \"Industry = 'Energy'\"")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *message == "" || (len(records) == 0 && *where == "") || fs.NArg() > 0 {
		fmt.Fprintln(stderr, sendUsage)
		return 2
	}
	out, err := control.New(*emulatorURL).SendOutbound(context.Background(), *message, wire.Send{Org: *orgName, Records: records, Where: *where})
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

const queueUsage = `usage: sfemu queue [--emulator URL] [--all] [--retry ID | --delete ID]`

// runQueue implements `sfemu queue`: the delivery status page.
func runQueue(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sfemu queue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	emulatorURL := fs.String("emulator", "http://"+DefaultListen, "the running emulator's base `URL`")
	all := fs.Bool("all", false, "also list delivered and dropped notifications")
	retry := fs.String("retry", "", "retry the queued notification `ID` now")
	del := fs.String("delete", "", "delete the queued notification `ID`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || (*retry != "" && *del != "") {
		fmt.Fprintln(stderr, queueUsage)
		return 2
	}
	c, ctx := control.New(*emulatorURL), context.Background()
	switch {
	case *retry != "":
		if err := c.RetryNow(ctx, *retry); err != nil {
			fmt.Fprintf(stderr, "sfemu queue: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "retrying %s\n", *retry)
		return 0
	case *del != "":
		if err := c.DeleteQueued(ctx, *del); err != nil {
			fmt.Fprintf(stderr, "sfemu queue: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "deleted %s\n", *del)
		return 0
	}
	rows, err := c.Queue(ctx, *all)
	if err != nil {
		fmt.Fprintf(stderr, "sfemu queue: %v\n", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NOTIFICATION\tMESSAGE\tRECORD\tSTATE\tAGE\tATTEMPTS\tNEXT ATTEMPT\tDELIVERY FAILURE REASON")
	for _, r := range rows {
		next := "-"
		if r.NextAttempt != nil {
			next = r.NextAttempt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Message, r.RecordID, r.State, r.Age, r.Attempts, next, r.DeliveryFailureReason)
	}
	tw.Flush()
	return 0
}
