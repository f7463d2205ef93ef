package manage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
)

// BenchmarkBulkTag500 tags 500 assets on a sandbox with a 20 ms round trip:
// Cloudinary's batch form (public_ids[] in one tags call) against one call
// per asset, as a client without batching would make.
func BenchmarkBulkTag500(b *testing.B) {
	sb, c := start(b)
	assets := seed(b, c, 500)
	sb.SetLatency(20 * time.Millisecond)
	ctx := context.Background()
	for b.Loop() {
		t0 := time.Now()
		out := AddTag(ctx, c, assets, "batch", nil)
		batch := time.Since(t0)
		if out.Err() != nil {
			b.Fatal(out.Summary())
		}
		t0 = time.Now()
		for _, a := range assets {
			if _, err := c.Tags(ctx, cloud.TagAdd, "single", "image", []string{a.PublicID}); err != nil {
				b.Fatal(err)
			}
		}
		single := time.Since(t0)
		b.ReportMetric(float64(batch.Milliseconds()), "batch-ms")
		b.ReportMetric(float64(single.Milliseconds()), "one-each-ms")
		b.ReportMetric(single.Seconds()/batch.Seconds(), "speedup-x")
	}
}

// BenchmarkSelectAll10k measures the bulk actions' bookkeeping on 10,000
// assets (grouping into batches, the confirmation text), without the network.
func BenchmarkSelectAll10k(b *testing.B) {
	assets := make([]cloud.Asset, 10000)
	for i := range assets {
		assets[i] = cloud.Asset{PublicID: fmt.Sprintf("f%d/id%05d", i%2000, i), OriginalFilename: fmt.Sprintf("photo-%05d", i), Format: "jpg", ResourceType: "image", Type: "upload"}
	}
	for b.Loop() {
		_, batches := groups(assets)
		if n := len(batches[groupKey{"image", "upload"}]); n != 10 {
			b.Fatalf("%d batches", n)
		}
		_ = ConfirmDelete(assets)
	}
}
