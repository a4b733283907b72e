package main

import (
	"flag"
	"os"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/internal/envflag"
)

// clientFlags are the flags of every command that drives a running sfemu
// through its control API: where it is, and its control token.
type clientFlags struct {
	emulator string
	token    string
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.emulator, "emulator", "http://"+DefaultListen, "the running emulator's base `URL`")
	fs.StringVar(&c.token, "control-token", "", "the emulator's control `TOKEN` (sfemu serve --control-token), sent as Authorization: Bearer (default $"+envflag.Name("control-token")+")")
}

// client is the control client the flags describe; the token comes from
// $SFEMU_CONTROL_TOKEN when --control-token is not given.
func (c *clientFlags) client() *control.Client {
	token := c.token
	if token == "" {
		token = os.Getenv(envflag.Name("control-token"))
	}
	return control.WithToken(c.emulator, token)
}
