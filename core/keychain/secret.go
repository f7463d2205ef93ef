package keychain

import (
	"fmt"
	"io"
	"log/slog"
)

// Secret is an API secret. It prints as "[redacted]" through every fmt verb,
// slog, encoding/json and encoding.TextMarshaler, so a stray Printf or log
// line cannot leak it; Reveal is the one deliberate way to read it.
//
// fmt cannot call methods on unexported struct fields, so a Secret kept in
// an unexported field of a struct that gets printed with %v would still
// print raw: keep Secret fields exported.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret itself, for hashing or handing to the keychain.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether there is no secret.
func (s Secret) IsZero() bool { return s == "" }

// String never returns the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString covers %#v.
func (s Secret) GoString() string { return fmt.Sprintf("keychain.Secret(%q)", s.String()) }

// Format covers every verb (%s %v %+v %q %x %d …).
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, s.GoString())
	case verb == 'q':
		fmt.Fprintf(f, "%q", s.String())
	default:
		io.WriteString(f, s.String())
	}
}

// LogValue covers log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON covers encoding/json.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText covers encoders that use encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
