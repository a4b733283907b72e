package soap

import "github.com/sfemu/sfemu/emulator/org"

// user is who the call runs as, whose field-level security applies to its
// queries, sObjects and describes; nil without a session.
func (c *call) user() *org.User {
	if c.session == nil {
		return nil
	}
	return c.session.User
}
