package transfer

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// A finished upload is retired to a compact record once its run settles:
// what a view reads of it afterwards must be what it read the moment the
// upload ended, and a file found already uploaded can still be sent again.
func TestRetiredItemsReadAsTheyDidWhenTheyEnded(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 5, 3000, ".jpg")
	e := r.engine(nil)
	sub := e.Subscribe()
	defer sub.Close()
	items := itemsFor(paths)
	for i := range items {
		items[i].Options = &Options{Tags: []string{"trip"}, Context: map[string]string{"alt": "a view"}}
	}
	ids := e.Add(items...)
	finish(t, e, time.Minute)

	// The status each item had when it became final, from its event.
	ended := map[ItemID]ItemStatus{}
	deadline := time.After(10 * time.Second)
	for len(ended) < len(ids) {
		select {
		case ev := <-sub.C:
			for _, st := range ev.Items {
				if st.State.Final() {
					ended[st.ID] = st
				}
			}
		case <-deadline:
			t.Fatalf("final events for %d of %d items", len(ended), len(ids))
		}
	}
	check := func(id ItemID, want ItemStatus) {
		t.Helper()
		e.mu.Lock()
		retired := e.items[id].itemLive == nil
		e.mu.Unlock()
		if !retired {
			t.Errorf("%s: still kept whole after its run ended (%s)", want.Name, want.State)
		}
		got, ok := e.Item(id)
		if !ok {
			t.Fatalf("%s: gone", want.Name)
		}
		if want.Asset == nil || got.Asset == nil {
			t.Fatalf("%s: asset %v, after retiring %v", want.Name, want.Asset, got.Asset)
		}
		if !reflect.DeepEqual(*got.Asset, *want.Asset) {
			t.Errorf("%s: asset after retiring\n %+v\nwhen it ended\n %+v", want.Name, *got.Asset, *want.Asset)
		}
		got.Asset, want.Asset = nil, nil
		want.Speed, want.ETA = 0, 0 // a finished item has neither
		if !reflect.DeepEqual(got, want) {
			t.Errorf("status after retiring\n %+v\nwhen it ended\n %+v", got, want)
		}
	}
	for _, id := range ids {
		if ended[id].State != Done {
			t.Fatalf("%s: %s (%s)", ended[id].Name, ended[id].State, ended[id].Words)
		}
		check(id, ended[id])
	}

	// The same files again: found already uploaded, retired too.
	again := e.Add(items...)
	finish(t, e, time.Minute)
	for _, id := range again {
		st, _ := e.Item(id)
		if st.State != Skipped || st.Asset == nil || st.Asset.Link() == "" {
			t.Fatalf("%s: %s (%s) %+v", st.Name, st.State, st.Words, st.Asset)
		}
		check(id, st)
	}
	if err := e.UploadAgain(again[0]); err != nil {
		t.Fatal(err)
	}
	finish(t, e, time.Minute)
	st, _ := e.Item(again[0])
	first, _ := e.Item(ids[0])
	if st.State != Done || st.Asset == nil || st.Asset.PublicID == first.Asset.PublicID {
		t.Fatalf("uploaded again: %s (%s), public id %v (the first upload's: %s)", st.State, st.Words, st.Asset, first.Asset.PublicID)
	}
	if n := e.ClearFinished(); n != 2*len(ids) {
		t.Fatalf("cleared %d finished items of %d", n, 2*len(ids))
	}
	if s := e.Snapshot(); len(s.Items) != 0 || s.Batch.Done+s.Batch.Skipped != 0 {
		t.Fatalf("after clearing: %d items, batch %+v", len(s.Items), s.Batch)
	}
}
