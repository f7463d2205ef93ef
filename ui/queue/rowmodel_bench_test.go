package queue

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/transfer"
)

// BenchmarkRowModel is the Upload tab's own memory per row, apart from the
// engine's: 30,000 rows as the engine reports them (queued, then done with
// their assets), added to the view as a folder walk adds them. It reports view-B/row (the view's
// live heap per row, ids included) and, as the baseline measured in the
// same run, whole-B/row: what a map of whole statuses, as the view kept
// before, costs for the same rows; ratio is view over whole.
func BenchmarkRowModel(b *testing.B) {
	const n = 30000
	for _, state := range []transfer.State{transfer.Queued, transfer.Done} {
		b.Run(string(state), func(b *testing.B) {
			statuses := make([]transfer.ItemStatus, n)
			for i := range statuses {
				path := fmt.Sprintf("/home/editor/shoot/IMG_%05d.png", i)
				st := transfer.ItemStatus{ID: transfer.ItemID(fmt.Sprintf("%016x", i*7919)), Name: path[len(path)-13:], Path: path,
					State: state, Words: "queued", BytesTotal: 300, ResourceType: transfer.Image, Format: "png"}
				if state == transfer.Done {
					st.Words, st.BytesDone, st.Attempt = "done", 300, 1
					st.Asset = &cloud.Asset{PublicID: fmt.Sprintf("IMG_%05d", i), SecureURL: "https://res.cloudinary.com/demo/image/upload/v1/IMG.png"}
					st.PublicID, st.MD5 = st.Asset.PublicID, "d41d8cd98f00b204e9800998ecf8427e"
				}
				statuses[i] = st
			}
			h := newHarness(b, false)
			fill := func() {
				// In the chunks a folder walk adds them in.
				for i := 0; i < n; i += 500 {
					p := pending{items: map[transfer.ItemID]transfer.ItemStatus{}}
					for _, st := range statuses[i:min(i+500, n)] {
						p.order = append(p.order, st.ID)
						p.items[st.ID] = st
					}
					h.v.mu.Lock()
					h.v.pend = p
					h.v.mu.Unlock()
					h.v.sync()
				}
			}
			fill() // rows drawn once first: fonts and icons load then
			for range b.N {
				whole := wholeMapBytes(statuses)
				h.v.SetUnavailable(nil)
				fill()
				if h.v.Len() != n {
					b.Fatalf("%d rows", h.v.Len())
				}
				// What letting go of the rows frees is what they held (fonts
				// and caches the drawing loaded stay).
				filled := heapLive()
				h.v.SetUnavailable(nil)
				view := float64(filled-heapLive()) / n
				b.ReportMetric(view, "view-B/row")
				b.ReportMetric(whole, "whole-B/row")
				b.ReportMetric(view/whole, "ratio")
			}
			runtime.KeepAlive(statuses)
		})
	}
}

// wholeMapBytes is the heap per row of an id list and a map of whole
// statuses, built as rows arrive.
func wholeMapBytes(statuses []transfer.ItemStatus) float64 {
	before := heapLive()
	var ids []transfer.ItemID
	items := map[transfer.ItemID]transfer.ItemStatus{}
	for _, st := range statuses {
		ids = append(ids, st.ID)
		items[st.ID] = st
	}
	after := heapLive()
	runtime.KeepAlive(ids)
	runtime.KeepAlive(items)
	return float64(after-before) / float64(len(statuses))
}

// heapLive is the bytes of live objects after a collection: unlike
// HeapInuse it does not count the free room in partly used spans.
func heapLive() int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}
