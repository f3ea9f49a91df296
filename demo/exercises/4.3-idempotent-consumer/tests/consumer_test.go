package consumer

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type recorder struct {
	mu    sync.Mutex
	calls map[string]int
	fail  func(m Message) error
}

func newRecorder(fail func(m Message) error) *recorder {
	return &recorder{calls: map[string]int{}, fail: fail}
}

func (r *recorder) Handle(ctx context.Context, m Message) error {
	r.mu.Lock()
	r.calls[m.ID]++
	r.mu.Unlock()
	if r.fail != nil {
		return r.fail(m)
	}
	return nil
}

func (r *recorder) Calls(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id]
}

func msg(id string, attempt int) Message {
	return Message{ID: id, Body: []byte(`{"order":1}`), Attempt: attempt}
}

func expect(t *testing.T, got, want Decision, what string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func TestFirstDeliveryIsHandledAndAcked(t *testing.T) {
	r := newRecorder(nil)
	c := NewConsumer(r.Handle, 10, 3)
	expect(t, c.Handle(context.Background(), msg("m1", 1)), Ack, "first delivery")
	if r.Calls("m1") != 1 {
		t.Errorf("handler calls = %d, want 1", r.Calls("m1"))
	}
	if !c.Seen("m1") {
		t.Error("Seen(m1) = false after successful processing")
	}
	if c.Seen("m2") {
		t.Error("Seen(m2) = true for an unknown ID")
	}
}

func TestDuplicatesAreAckedWithoutHandling(t *testing.T) {
	r := newRecorder(nil)
	c := NewConsumer(r.Handle, 10, 3)
	for attempt := 1; attempt <= 3; attempt++ {
		expect(t, c.Handle(context.Background(), msg("m1", attempt)), Ack, fmt.Sprintf("delivery %d", attempt))
	}
	if r.Calls("m1") != 1 {
		t.Errorf("handler calls for one message ID = %d, want 1", r.Calls("m1"))
	}
}

func TestTransientErrorIsRequeuedAndRetried(t *testing.T) {
	r := newRecorder(func(m Message) error {
		if m.Attempt == 1 {
			return errors.New("db timeout")
		}
		return nil
	})
	c := NewConsumer(r.Handle, 10, 5)
	expect(t, c.Handle(context.Background(), msg("m1", 1)), Requeue, "transient failure")
	if c.Seen("m1") {
		t.Error("failed message must not be remembered as processed")
	}
	expect(t, c.Handle(context.Background(), msg("m1", 2)), Ack, "redelivery")
	if r.Calls("m1") != 2 {
		t.Errorf("handler calls = %d, want 2", r.Calls("m1"))
	}
}

func TestPermanentErrorIsRejected(t *testing.T) {
	r := newRecorder(func(m Message) error {
		return fmt.Errorf("decode order: %w", ErrPermanent)
	})
	c := NewConsumer(r.Handle, 10, 5)
	expect(t, c.Handle(context.Background(), msg("bad", 1)), Reject, "wrapped ErrPermanent")
	if c.Seen("bad") {
		t.Error("rejected message must not be remembered as processed")
	}
}

func TestMaxAttemptsSendsToDLQ(t *testing.T) {
	r := newRecorder(func(m Message) error { return errors.New("still failing") })
	c := NewConsumer(r.Handle, 10, 3)
	expect(t, c.Handle(context.Background(), msg("m", 1)), Requeue, "attempt 1 of 3")
	expect(t, c.Handle(context.Background(), msg("m", 2)), Requeue, "attempt 2 of 3")
	expect(t, c.Handle(context.Background(), msg("m", 3)), Reject, "attempt 3 of 3")
	expect(t, c.Handle(context.Background(), msg("m", 7)), Reject, "attempt 7 of 3")
}

func TestEmptyIDIsRejectedWithoutHandling(t *testing.T) {
	r := newRecorder(nil)
	c := NewConsumer(r.Handle, 10, 3)
	expect(t, c.Handle(context.Background(), msg("", 1)), Reject, "empty ID")
	if r.Calls("") != 0 {
		t.Error("handler must not be called for a message without ID")
	}
}

func TestBoundedMemoryForgetsOldestFirst(t *testing.T) {
	r := newRecorder(nil)
	c := NewConsumer(r.Handle, 3, 3)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		c.Handle(ctx, msg(id, 1))
	}
	expect(t, c.Handle(ctx, msg("a", 2)), Ack, "duplicate a") // дубликат не «освежает» a
	c.Handle(ctx, msg("d", 1))                                // вытесняет самый старый — a
	if c.Seen("a") {
		t.Error("Seen(a) = true, but a is the oldest ID and capacity is 3")
	}
	for _, id := range []string{"b", "c", "d"} {
		if !c.Seen(id) {
			t.Errorf("Seen(%s) = false, want true", id)
		}
	}
	expect(t, c.Handle(ctx, msg("a", 3)), Ack, "forgotten a")
	if r.Calls("a") != 2 {
		t.Errorf("handler calls for forgotten a = %d, want 2", r.Calls("a"))
	}
	if c.Seen("b") {
		t.Error("re-processing a must evict b")
	}
}

func TestCapacityAndAttemptsDefaultToOne(t *testing.T) {
	r := newRecorder(func(m Message) error {
		if m.ID == "fail" {
			return errors.New("x")
		}
		return nil
	})
	c := NewConsumer(r.Handle, 0, 0)
	ctx := context.Background()
	expect(t, c.Handle(ctx, msg("fail", 1)), Reject, "maxAttempts 0 means 1")
	c.Handle(ctx, msg("a", 1))
	c.Handle(ctx, msg("b", 1))
	if c.Seen("a") || !c.Seen("b") {
		t.Errorf("capacity 0 means 1: Seen(a), Seen(b) = %v, %v, want false, true", c.Seen("a"), c.Seen("b"))
	}
}

func TestSameIDInFlightIsRequeued(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int32
	c := NewConsumer(func(ctx context.Context, m Message) error {
		if calls.Add(1) == 1 {
			close(started)
			<-release
		}
		return nil
	}, 10, 3)
	first := make(chan Decision, 1)
	go func() { first <- c.Handle(context.Background(), msg("x", 1)) }()
	select {
	case <-started:
	case <-time.After(time.Second):
		close(release)
		t.Fatal("handler was not called")
	}
	expect(t, c.Handle(context.Background(), msg("x", 2)), Requeue, "same ID while the first delivery is in progress")
	close(release)
	expect(t, <-first, Ack, "first delivery")
	expect(t, c.Handle(context.Background(), msg("x", 3)), Ack, "after processing")
	if calls.Load() != 1 {
		t.Errorf("handler calls = %d, want 1", calls.Load())
	}
}

func TestCancelledContextRequeuesWithoutHandling(t *testing.T) {
	r := newRecorder(nil)
	c := NewConsumer(r.Handle, 10, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	expect(t, c.Handle(ctx, msg("m", 1)), Requeue, "cancelled context")
	if r.Calls("m") != 0 {
		t.Error("handler must not start after shutdown began")
	}
}

func TestInterruptedByShutdownIsRequeuedEvenOnLastAttempt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := NewConsumer(func(ctx context.Context, m Message) error {
		cancel() // пришёл SIGTERM во время обработки
		return ctx.Err()
	}, 10, 3)
	expect(t, c.Handle(ctx, msg("m", 3)), Requeue, "handler interrupted by shutdown on the last attempt")
}

func TestHandlerPanicIsRequeuedAndReleased(t *testing.T) {
	var calls atomic.Int32
	c := NewConsumer(func(ctx context.Context, m Message) error {
		if calls.Add(1) == 1 {
			panic("nil map write")
		}
		return nil
	}, 10, 3)
	expect(t, c.Handle(context.Background(), msg("p", 1)), Requeue, "panicking handler")
	expect(t, c.Handle(context.Background(), msg("p", 2)), Ack, "redelivery after panic")
	if calls.Load() != 2 {
		t.Errorf("handler calls = %d, want 2", calls.Load())
	}
}

func TestConcurrentDeliveriesHandleEachIDOnce(t *testing.T) {
	r := newRecorder(nil)
	c := NewConsumer(r.Handle, 100, 100)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				id := fmt.Sprintf("id-%d", i)
				for attempt := 1; ; attempt++ {
					d := c.Handle(context.Background(), msg(id, attempt))
					if d == Ack {
						break
					}
					if d != Requeue || attempt > 10000 {
						t.Errorf("Handle(%s) = %v", id, d)
						return
					}
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("id-%d", i)
		if n := r.Calls(id); n != 1 {
			t.Errorf("%s handled %d times, want exactly 1", id, n)
		}
	}
}
