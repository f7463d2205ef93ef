package keychain

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const leaky = "s3cr3t-DO-NOT-PRINT-7f1e"

type holder struct {
	Name   string
	Secret Secret
}

func TestSecretNeverPrintsThroughFmtSlogOrJSON(t *testing.T) {
	s := Secret(leaky)
	h := holder{Name: "work", Secret: s}
	hp := &h
	outputs := map[string]string{}
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%X", "%d", "%10s", "%-20v", "%T"} {
		outputs["secret "+verb] = fmt.Sprintf(verb, s)
		outputs["struct "+verb] = fmt.Sprintf(verb, h)
		outputs["pointer "+verb] = fmt.Sprintf(verb, hp)
	}
	outputs["Sprint"] = fmt.Sprint(s, h)
	outputs["Sprintln"] = fmt.Sprintln(s, h)
	outputs["String"] = s.String()
	outputs["GoString"] = s.GoString()
	outputs["error %v"] = fmt.Errorf("wrapped: %v", s).Error()
	outputs["error %w chain"] = fmt.Errorf("outer: %w", errors.New(fmt.Sprint(s))).Error()
	outputs["slice"] = fmt.Sprintf("%v", []Secret{s, s})
	outputs["map"] = fmt.Sprintf("%v", map[string]Secret{"k": s})

	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(js)
	xm, err := xml.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outputs["xml"] = string(xm)

	for _, handler := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(handler(&buf))
		log.Info("saving", "secret", s, "profile", h, "any", any(s))
		outputs[fmt.Sprintf("slog %T", handler(&buf))] = buf.String()
	}

	for name, out := range outputs {
		if strings.Contains(out, leaky) || strings.Contains(out, fmt.Sprintf("%x", leaky)) {
			t.Errorf("%s leaked the secret: %s", name, out)
		}
	}
	if !strings.Contains(outputs["secret %v"], "[redacted]") {
		t.Errorf("%%v printed %q, want the redaction marker", outputs["secret %v"])
	}
	if s.Reveal() != leaky {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
}

func TestEmptySecretPrintsEmpty(t *testing.T) {
	var s Secret
	if got := fmt.Sprintf("%v|%s", s, s); got != "|" {
		t.Errorf("empty secret printed %q", got)
	}
	if !s.IsZero() || Secret("x").IsZero() {
		t.Error("IsZero is wrong")
	}
}
