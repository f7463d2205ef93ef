// Package sandbox is a local Cloudinary-compatible server: the Upload API
// (signed and preset uploads, chunked uploads, remote URLs and data URIs,
// destroy, rename, tags, context, explicit), the Admin API (resource
// listing and lookup, delete, upload presets, usage) with the Search API, and
// delivery URLs with signature checks and transformations. cloudinary-go and
// the npm cloudinary package work against it unchanged with
//
//	CLOUDINARY_URL=cloudinary://KEY:SECRET@CLOUD?upload_prefix=http://127.0.0.1:PORT
//
// It stores files on disk (by asset and version id, never by public_id) with
// metadata in an embedded SQLite database in Config.Dir, so an account
// survives restarts. It can also pretend to be a bad network: latency,
// a per-connection bandwidth cap, and injected failures.
//
// It owns the wire protocol, the storage layout and the fault simulation. It
// must not draw pixels itself (package transform does), must not know about
// the app's profiles or keychain, and never logs or returns its secret except
// through CloudinaryURL and APISecret, which exist so a client can be
// configured.
//
// # Hostile input
//
// The sandbox runs inside the desktop app, so what takes it down takes the
// app down. Images are checked from their header (core/imageguard) before
// any decode, at upload and at delivery; renderings are held to a memory
// budget and stop when no request waits for them. Requests are
// authenticated before their files are stored, with their parameters
// bounded (form.go, upload.go); connections are capped and idle ones cut
// (netsim.go); remote fetches reach public addresses only (fetch.go).
//
// # Fault specification
//
// Config.Faults (and `cloudup-cli sandbox --faults`) takes rules separated by
// ";". A rule is a list of key=value clauses separated by ","; a bare value
// continues the list of the key before it, so "schedule=ok,500,reset" works.
//
//	rate=F        probability (0..1) that a matching request fails
//	kinds=K+K     what a failure is, chosen uniformly (with rate); default 500
//	schedule=S,S  fixed outcomes for successive matching requests ("ok" = no
//	              fault); after the last one, requests pass
//	on=SCOPE+…    which requests the rule sees: upload (uploads and chunks),
//	              chunk (chunked upload requests), final (the last chunk of a
//	              chunked upload), api (destroy, rename, tags, context,
//	              explicit), admin (Admin and Search API), search, delivery,
//	              all (default)
//	skip=N        let the first N matching requests through
//	max=N         stop after N injected failures
//	retry=D       Retry-After for 420, 429 and 503 (Go duration, default 2s)
//	above=N       apply only while more than N matching requests are in the
//	              server: on=upload,above=8,rate=1,kinds=420 refuses every
//	              upload beyond 8 at once, as an account's concurrency limit
//
// Kinds: 500; 502 and 503 (an HTML page, as a load balancer sends); 420
// ("Rate Limit Exceeded. Try again on …") and 429, both with Retry-After;
// reset (the connection is reset halfway through reading the request body);
// stall (the body is read and no answer ever comes, until the client gives
// up). A kind acts before the request is carried out unless it ends in
// "-after": then the server does the work (stores the upload, deletes the
// asset) and the answer is replaced by the failure — "reset-after" is the
// answer lost after the upload was stored, which is how clients are tested
// for exactly-once. Decisions come from a generator seeded with Config.Seed,
// so a sequential client sees the same faults on every run.
//
// Examples:
//
//	rate=0.2,kinds=500+503+reset
//	on=upload,schedule=ok,500,reset-after,ok
//	on=upload,rate=0.3,kinds=503;on=search,rate=0.1,kinds=429
//	on=final,schedule=reset-after
//	on=admin,rate=0.1,kinds=420,retry=5s
package sandbox
