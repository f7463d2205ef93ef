package signer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/signing"
	"github.com/cloudup/cloudup/core/teamsign"
)

// maxParamBytes bounds one call's parameters (names and values).
const maxParamBytes = 64 << 10

// sign answers PathSign: every call is checked against the editor's grant
// and signed with the service's clock, or refused with the rule it broke.
func (s *Service) sign(w http.ResponseWriter, r *request) error {
	var req teamsign.SignRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	switch n := len(req.Calls); {
	case n == 0:
		return badRequest("No calls to sign.")
	case n > teamsign.MaxBatch:
		return badRequest("%d calls in one request; send at most %d.", n, teamsign.MaxBatch)
	}
	now := s.cfg.Now()
	out := teamsign.SignResponse{Results: make([]teamsign.SignResult, len(req.Calls))}
	audit := make([]AuditEntry, len(req.Calls))
	for i, call := range req.Calls {
		params, err := s.signCall(r, call, now)
		entry := AuditEntry{At: now, Editor: r.editor.Name, Action: call.Action, Detail: describe(call.ResourceType, params, call.Params), Remote: r.remote}
		var ref *Refusal
		switch {
		case errors.As(err, &ref):
			out.Results[i].Error = &teamsign.Problem{Message: ref.Message, Code: cloud.CodePolicy}
			entry.Outcome, entry.Rule = OutcomeRefused, ref.Rule
		case err != nil:
			return err
		default:
			out.Results[i].Params = params
			entry.Outcome = OutcomeSigned
		}
		audit[i] = entry
	}
	s.record(r.Context(), audit...)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) signCall(r *request, call teamsign.SignCall, now time.Time) (url.Values, error) {
	if n := paramBytes(call.Params); n > maxParamBytes {
		return nil, refuse("size", "The options of this request are %d bytes; the limit is %d.", n, maxParamBytes)
	}
	params, err := CheckCall(r.editor.Grant, call)
	if err != nil {
		return nil, err
	}
	if err := s.auth.Sign(r.Context(), cloud.Call{Action: call.Action, ResourceType: call.ResourceType, Now: now}, params); err != nil {
		return nil, err
	}
	return params, nil
}

func paramBytes(v url.Values) int {
	n := 0
	for k, vs := range v {
		n += len(k)
		for _, s := range vs {
			n += len(s) + 1
		}
	}
	return n
}

// describe is an audit row's detail: the resource type and the parameters,
// never the signature, the API key or the file.
func describe(resourceType string, signed, asked url.Values) string {
	v := signed
	if v == nil {
		v = asked
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		switch k {
		case "signature", "api_key", "file":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	if resourceType != "" {
		b.WriteString("resource_type=" + resourceType)
	}
	for _, k := range keys {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		val := strings.Join(v[k], ",")
		if len(val) > 200 {
			val = val[:200] + "…"
		}
		b.WriteString(k + "=" + strconv.Quote(val))
		if b.Len() > 2000 {
			b.WriteString(" …")
			break
		}
	}
	return b.String()
}

// signURL answers PathSignURL: a signed delivery URL (s--…--) for an asset
// inside the editor's folders, for accounts with strict transformations.
func (s *Service) signURL(w http.ResponseWriter, r *request) error {
	var req teamsign.SignURLRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	now := s.cfg.Now()
	entry := AuditEntry{At: now, Editor: r.editor.Name, Action: "sign-url", Remote: r.remote,
		Detail: fmt.Sprintf("public_id=%q transformation=%q", req.PublicID, req.Transformation)}
	if err := CheckRead(r.editor.Grant, req.PublicID); err != nil {
		var ref *Refusal
		errors.As(err, &ref)
		entry.Outcome, entry.Rule = OutcomeRefused, ref.Rule
		s.record(r.Context(), entry)
		return err
	}
	link, err := s.delivery.URL(effects.Ref{PublicID: req.PublicID, ResourceType: req.ResourceType, Type: req.Type, Format: req.Format, Version: req.Version},
		req.Transformation, string(s.cfg.Account.Secret), true)
	if err != nil {
		entry.Outcome, entry.Rule = OutcomeRefused, "request"
		s.record(r.Context(), entry)
		return badRequest("%s.", upperFirst(err.Error()))
	}
	entry.Outcome = OutcomeSigned
	s.record(r.Context(), entry)
	writeJSON(w, http.StatusOK, teamsign.SignURLResponse{URL: link})
	return nil
}

// seedTimestampSkew is how far from the service's clock a timestamp the
// caller chose (the upload widget stamps its own) may be.
const seedTimestampSkew = 10 * time.Minute

// seedSign answers the web guides' /api/sign: {"paramsToSign": {...}} →
// {"signature", "apiKey", "timestamp", "cloudName"}. The upload widget sends
// exactly the params it will upload with, so nothing can be added to them:
// where the grant needs allowed_formats, the widget must already ask for it.
func (s *Service) seedSign(w http.ResponseWriter, r *request) error {
	var req struct {
		ParamsToSign map[string]any `json:"paramsToSign"`
	}
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if req.ParamsToSign == nil {
		return badRequest(`The body needs "paramsToSign".`)
	}
	params := url.Values{}
	for k, v := range req.ParamsToSign {
		val, err := seedValue(v)
		if err != nil {
			return badRequest("paramsToSign.%s: %s.", k, err)
		}
		params.Set(k, val)
	}
	now := s.cfg.Now()
	entry := AuditEntry{At: now, Editor: r.editor.Name, Action: "upload", Detail: "via /api/sign " + describe("", nil, params), Remote: r.remote}
	refused := func(err error) error {
		var ref *Refusal
		if errors.As(err, &ref) {
			entry.Outcome, entry.Rule = OutcomeRefused, ref.Rule
			s.record(r.Context(), entry)
		}
		return err
	}
	ts := now.Unix()
	if v := params.Get("timestamp"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return refused(refuse("timestamp", "The timestamp %q is not a number of seconds.", v))
		}
		if d := time.Duration(math.Abs(float64(n-now.Unix()))) * time.Second; d > seedTimestampSkew {
			return refused(refuse("timestamp", "The timestamp is %s away from the service's clock; set the computer's clock right.", d.Round(time.Second)))
		}
		ts = n
	}
	checked, err := CheckCall(r.editor.Grant, teamsign.SignCall{Action: "upload", Params: params})
	if err != nil {
		return refused(err)
	}
	if a, b := checked.Get("allowed_formats"), params.Get("allowed_formats"); a != b {
		return refused(refuse("format", "Your access allows %s files only: set the upload widget's allowed formats to %s.", humanList(strings.Split(a, ",")), a))
	}
	checked.Set("timestamp", strconv.FormatInt(ts, 10))
	sig := signing.Sign(checked, string(s.cfg.Account.Secret), s.cfg.Account.Algorithm)
	entry.Outcome = OutcomeSigned
	s.record(r.Context(), entry)
	writeJSON(w, http.StatusOK, map[string]any{"signature": sig, "apiKey": s.cfg.Account.APIKey, "timestamp": ts, "cloudName": s.cfg.Account.Cloud})
	return nil
}

// seedValue renders a JSON value as the Node SDK signs it: arrays joined
// with commas, numbers as written.
func seedValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			s, err := seedValue(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	case json.Number:
		return v.String(), nil
	}
	return "", errors.New("must be a string, number, boolean or list")
}
