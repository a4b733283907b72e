package wire

// UsernameKey is the form usernames are compared in: ASCII letters folded
// to lower case, nothing else. Salesforce treats usernames
// case-insensitively (connector docs such as Progress DataDirect's
// Salesforce driver: "The user name is case-insensitive"); usernames have
// the form of an email address, so ASCII folding is that rule. Unicode
// folding (strings.EqualFold, strings.ToLower) would let a JWT sub with
// U+212A KELVIN SIGN or U+0130 log in as an ASCII username: sfemu never
// uses it for usernames.
func UsernameKey(username string) string {
	for i := 0; i < len(username); i++ {
		if c := username[i]; 'A' <= c && c <= 'Z' {
			b := []byte(username)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return username
}

// SameUsername reports whether two usernames name the same user.
func SameUsername(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}
