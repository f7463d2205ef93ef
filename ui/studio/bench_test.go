package studio

import (
	"testing"
	"time"
)

// pumpUntil runs the UI's queued work, as the app's event loop would, until
// the preview shows tr; it returns when that happened.
func (fx *fixture) pumpUntil(b *testing.B, tr string) time.Time {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		fx.tasks.Drain()
		if n := len(fx.shown); n > 0 && fx.shown[n-1] == tr {
			return time.Now()
		}
		time.Sleep(time.Millisecond)
	}
	b.Fatalf("the preview never showed %q", tr)
	return time.Time{}
}

// BenchmarkSliderDrag drags the sharpen slider through 50 positions, one
// every 10 ms as a hand does, on the sandbox. It reports how many previews
// were rendered and how long after the last move the preview settled, as a
// ratio to one render of a single change measured in the same run.
func BenchmarkSliderDrag(b *testing.B) {
	fx := newFixture(b, "Boats")
	fx.v.Debounce = New(nil, nil).Debounce // the app's default
	for i := 0; i < b.N; i++ {
		fx.shown = nil
		fx.v.Show(fx.asset, "c_fill,ar_16:9,g_auto/e_sharpen:100")
		fx.pumpUntil(b, "c_fill,ar_16:9,g_auto/e_sharpen:100")

		// Baseline: one change, one render.
		start := time.Now()
		fx.v.sliders["sharpen"].SetValue(700)
		one := fx.pumpUntil(b, "c_fill,ar_16:9,g_auto/e_sharpen:700").Sub(start)

		before := fx.v.Renders()
		var last time.Time
		for pos := 1; pos <= 50; pos++ {
			fx.v.sliders["sharpen"].SetValue(float64(pos * 20))
			last = time.Now()
			fx.tasks.Drain()
			time.Sleep(10 * time.Millisecond)
		}
		settled := fx.pumpUntil(b, "c_fill,ar_16:9,g_auto/e_sharpen:1000").Sub(last)
		b.ReportMetric(float64(fx.v.Renders()-before), "renders/50moves")
		b.ReportMetric(float64(settled.Milliseconds()), "settle-ms")
		b.ReportMetric(float64(one.Milliseconds()), "single-change-ms")
		b.ReportMetric(float64(settled)/float64(one), "settle/single")
		fx.v.Close()
		fx.tasks.Wait()
	}
}
