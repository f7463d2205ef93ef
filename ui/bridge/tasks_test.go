package bridge

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

func TestTasksApplyTheResultAfterTheWorkIsDone(t *testing.T) {
	test.NewTempApp(t)
	tasks := NewTasks()
	defer tasks.Close()
	var applied atomic.Int32
	tasks.Go(func(ctx context.Context) func() {
		return func() { applied.Add(1) }
	})
	tasks.Wait()
	if applied.Load() != 1 {
		t.Fatalf("applied %d times", applied.Load())
	}
}

func TestTasksCloseCancelsWaitsAndDropsLateResults(t *testing.T) {
	test.NewTempApp(t)
	tasks := NewTasks()
	started := make(chan struct{})
	var applied, sawCancel atomic.Bool
	tasks.Go(func(ctx context.Context) func() {
		close(started)
		select {
		case <-ctx.Done():
			sawCancel.Store(true)
		case <-time.After(10 * time.Second):
		}
		return func() { applied.Store(true) }
	})
	<-started
	tasks.Close() // returns only once the task has
	if !sawCancel.Load() {
		t.Error("the task's context was not canceled by Close")
	}
	if applied.Load() {
		t.Error("a result arriving after Close was applied")
	}
	ran := false
	tasks.Go(func(context.Context) func() { ran = true; return nil })
	tasks.Wait()
	if ran {
		t.Error("Go after Close started work")
	}
}

func TestQueuedTasksApplyOnTheGoroutineThatWaits(t *testing.T) {
	test.NewTempApp(t)
	tasks := NewQueuedTasks()
	defer tasks.Close()
	var order []string
	tasks.Go(func(ctx context.Context) func() {
		return func() {
			order = append(order, "first")
			tasks.Go(func(context.Context) func() { return func() { order = append(order, "second") } })
		}
	})
	time.Sleep(10 * time.Millisecond)
	if len(order) != 0 {
		t.Fatal("a queued result was applied before Wait")
	}
	tasks.Wait()
	if len(order) != 2 || order[1] != "second" {
		t.Errorf("applied %v, want the result and the one it started", order)
	}
}
