package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Remote uploads (file=http://…): Cloudinary fetches the URL itself, and so
// does the sandbox, but the sandbox runs on the user's machine, inside
// their network. A URL naming this computer, the local network or a cloud
// metadata address would let anyone who may upload read what is only
// reachable from here, and the answer is stored and served back to any
// origin. So every connection the fetch makes, after DNS resolution and
// after every redirect, is checked against the address it actually
// reaches, and private addresses are refused unless
// Config.AllowPrivateFetch says this is a test on one machine. The
// sandbox's own delivery URLs ("From URL" with a sandbox link) are served
// from its store without a network fetch.

// fetchRemote downloads a remote file into a spool.
func (s *Server) fetchRemote(ctx context.Context, raw string) (*spool, string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", badRequest("Unsupported source URL: %s (the sandbox fetches http and https URLs)", truncate(raw, 200))
	}
	name := u.Path[strings.LastIndex(u.Path, "/")+1:]
	if n, err := url.PathUnescape(name); err == nil {
		name = n
	}
	if s.ownDelivery(u) {
		sp, err := s.fetchOwn(ctx, u, raw)
		return sp, name, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", badRequest("Error in loading %s - %v", truncate(raw, 200), err)
	}
	req.Header.Set("User-Agent", "cloudup-sandbox")
	resp, err := s.fetcher.Do(req)
	if err != nil {
		var pe *privateAddrError
		if errors.As(err, &pe) {
			return nil, "", badRequest("Error in loading %s - %v", truncate(raw, 200), pe)
		}
		return nil, "", badRequest("Error in loading %s - %v", truncate(raw, 200), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, "", notFound("Resource not found - %s", truncate(raw, 200))
	}
	if resp.StatusCode/100 != 2 {
		return nil, "", badRequest("Error in loading %s - %s", truncate(raw, 200), resp.Status)
	}
	sp, err := s.newSpool()
	if err != nil {
		return nil, "", err
	}
	max := s.maxAnyType()
	if _, err := copyLimited(sp, resp.Body, max); err != nil {
		sp.discard()
		if errors.Is(err, errTooBig) {
			return nil, "", badRequest("File size too large. Got more than %d. Maximum is %d.", max, max)
		}
		return nil, "", badRequest("Error in loading %s - %v", truncate(raw, 200), err)
	}
	return sp, name, nil
}

// newFetcher is the client remote uploads go through. Without
// allowPrivate, its dialer refuses private addresses once they are
// resolved, for the first request and for every redirect.
func newFetcher(allowPrivate bool) *http.Client {
	if allowPrivate {
		return newFetcherFor(func(netip.AddrPort) bool { return true })
	}
	return newFetcherFor(nil)
}

// newFetcherFor is newFetcher whose dialer lets through, besides public
// addresses, those permit accepts. It ignores HTTP_PROXY: through a proxy
// the check would see the proxy's address, not the target's.
func newFetcherFor(permit func(netip.AddrPort) bool) *http.Client {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	d.Control = func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("cannot read the address %q", address)
		}
		if permit != nil && permit(ap) {
			return nil
		}
		if reason := privateReason(ap.Addr()); reason != "" {
			return &privateAddrError{addr: ap.Addr().Unmap(), reason: reason}
		}
		return nil
	}
	return &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   20 * time.Second,
			ResponseHeaderTimeout: time.Minute,
			IdleConnTimeout:       30 * time.Second,
			MaxIdleConnsPerHost:   2,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("more than 10 redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("a redirect to %s: only http and https are fetched", req.URL.Scheme)
			}
			return nil
		},
	}
}

// privateAddrError is a fetch refused for where it would connect.
type privateAddrError struct {
	addr   netip.Addr
	reason string
}

func (e *privateAddrError) Error() string {
	return fmt.Sprintf("the address %s is %s, which the sandbox does not fetch from (start it with --allow-private-fetch to allow that for tests on this computer)", e.addr, e.reason)
}

// nonPublic are address blocks outside the public internet that netip's
// own predicates do not name (IANA special-purpose registries).
var nonPublic = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "reserved (this network)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "on a carrier-grade NAT network"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved for protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "reserved for documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved for benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "reserved for documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "reserved for documentation"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("100::/64"), "reserved (discard)"},
	{netip.MustParsePrefix("2001:db8::/32"), "reserved for documentation"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
}

// privateReason says why ip is not a public internet address ("" if it
// is). Addresses that embed an IPv4 one (mapped, NAT64, 6to4) are judged
// by it.
func privateReason(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is6() {
		b := ip.As16()
		switch {
		case netip.MustParsePrefix("64:ff9b::/96").Contains(ip):
			return privateReason(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case netip.MustParsePrefix("2002::/16").Contains(ip):
			return privateReason(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	switch {
	case !ip.IsValid():
		return "not an address"
	case ip.IsLoopback():
		return "on this computer (loopback)"
	case ip.IsUnspecified():
		return "unspecified (it means this computer)"
	case ip.IsPrivate():
		return "on a private network"
	case ip.IsLinkLocalUnicast():
		return "link-local (where cloud metadata services answer)"
	case ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast(), ip.IsMulticast():
		return "multicast"
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address"
	}
	for _, n := range nonPublic {
		if n.prefix.Contains(ip) {
			return n.reason
		}
	}
	return ""
}

// ownDelivery says u is one of this sandbox's delivery URLs: its port, a
// name or address of this computer, and the cloud's path.
func (s *Server) ownDelivery(u *url.URL) bool {
	_, portStr, err := net.SplitHostPort(s.Addr())
	if err != nil || u.Port() != portStr {
		return false
	}
	host := u.Hostname()
	if !strings.EqualFold(host, "localhost") {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return false
		}
		bound, _ := netip.ParseAddrPort(s.Addr())
		if !ip.Unmap().IsLoopback() && ip.Unmap() != bound.Addr().Unmap() {
			return false
		}
	}
	return strings.HasPrefix(u.EscapedPath(), "/"+s.cloud+"/")
}

// fetchOwn copies one of the sandbox's own delivery URLs into a spool by
// serving it in-process, with the checks a client's GET would meet.
func (s *Server) fetchOwn(ctx context.Context, u *url.URL, raw string) (*spool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, badRequest("Error in loading %s - %v", truncate(raw, 200), err)
	}
	if s.route(req).endpoint != EndpointDelivery {
		return nil, notFound("Resource not found - %s", truncate(raw, 200))
	}
	sp, err := s.newSpool()
	if err != nil {
		return nil, err
	}
	out := &spoolResponse{h: http.Header{}, sp: sp, max: s.maxAnyType()}
	if err := s.handleDelivery(out, req); err != nil {
		sp.discard()
		return nil, err
	}
	switch {
	case out.err != nil:
		sp.discard()
		return nil, out.err
	case out.status == http.StatusNotFound:
		sp.discard()
		return nil, notFound("Resource not found - %s", truncate(raw, 200))
	case out.status != http.StatusOK:
		sp.discard()
		return nil, badRequest("Error in loading %s - %d %s", truncate(raw, 200), out.status, out.h.Get("x-cld-error"))
	}
	return sp, nil
}

// spoolResponse takes a delivery answer into a spool.
type spoolResponse struct {
	h      http.Header
	status int
	sp     *spool
	max    int64 // <0: none
	err    error
}

func (w *spoolResponse) Header() http.Header { return w.h }

func (w *spoolResponse) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *spoolResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.status != http.StatusOK || w.err != nil {
		return len(p), nil
	}
	if w.max >= 0 && w.sp.size+int64(len(p)) > w.max {
		w.err = badRequest("File size too large. Got more than %d. Maximum is %d.", w.max, w.max)
		return 0, w.err
	}
	return w.sp.Write(p)
}
