// Package srcpos writes where in a file a problem is, the one way every
// error of sfemu's file readers says it: "file:line:column: message",
// "file:line: message" when the column is unknown, "file: message" when
// the line is.
package srcpos

import "fmt"

// Format is msg at line and column of file (0: unknown).
func Format(file string, line, column int, msg string) string {
	switch {
	case line > 0 && column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", file, line, column, msg)
	case line > 0:
		return fmt.Sprintf("%s:%d: %s", file, line, msg)
	}
	return file + ": " + msg
}
