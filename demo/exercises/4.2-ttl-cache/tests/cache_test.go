package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const waitLimit = time.Second

func waitChan(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitLimit):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// countingLoader возвращает "key#N", где N — номер вызова.
func countingLoader(calls *atomic.Int32) Loader[string] {
	return func(ctx context.Context, key string) (string, error) {
		n := calls.Add(1)
		return fmt.Sprintf("%s#%d", key, n), nil
	}
}

func TestGetLoadsOnceAndCaches(t *testing.T) {
	clock := newClock()
	var calls atomic.Int32
	c := New(time.Minute, clock.Now, countingLoader(&calls))
	for i := 0; i < 3; i++ {
		v, err := c.Get(context.Background(), "user:1")
		if err != nil || v != "user:1#1" {
			t.Fatalf("Get #%d = %q, %v, want \"user:1#1\", <nil>", i+1, v, err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("loader calls = %d, want 1", calls.Load())
	}
}

func TestEntryExpiresExactlyAtTTL(t *testing.T) {
	clock := newClock()
	var calls atomic.Int32
	c := New(10*time.Second, clock.Now, countingLoader(&calls))
	ctx := context.Background()
	if v, _ := c.Get(ctx, "k"); v != "k#1" {
		t.Fatalf("first Get = %q, want k#1", v)
	}
	clock.Advance(10*time.Second - time.Nanosecond)
	if v, _ := c.Get(ctx, "k"); v != "k#1" {
		t.Fatalf("Get just before TTL = %q, want cached k#1", v)
	}
	clock.Advance(time.Nanosecond)
	if v, _ := c.Get(ctx, "k"); v != "k#2" {
		t.Fatalf("Get at TTL = %q, want reloaded k#2", v)
	}
}

func TestTTLCountsFromLoadCompletion(t *testing.T) {
	clock := newClock()
	var calls atomic.Int32
	c := New(10*time.Second, clock.Now, func(ctx context.Context, key string) (int, error) {
		calls.Add(1)
		clock.Advance(5 * time.Second) // медленный запрос в БД
		return 42, nil
	})
	ctx := context.Background()
	if _, err := c.Get(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(9 * time.Second) // 14 с от начала загрузки, 9 с от её конца
	if _, err := c.Get(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("loader calls = %d, want 1: TTL must start when the load finishes", calls.Load())
	}
}

var errDB = errors.New("db is down")

func TestErrorsAreNotCached(t *testing.T) {
	var calls atomic.Int32
	c := New(time.Minute, newClock().Now, func(ctx context.Context, key string) (string, error) {
		if calls.Add(1) == 1 {
			return "", fmt.Errorf("load %s: %w", key, errDB)
		}
		return "ok", nil
	})
	ctx := context.Background()
	if _, err := c.Get(ctx, "k"); !errors.Is(err, errDB) {
		t.Fatalf("first Get err = %v, want wrapped errDB", err)
	}
	if v, err := c.Get(ctx, "k"); err != nil || v != "ok" {
		t.Fatalf("second Get = %q, %v, want \"ok\", <nil>", v, err)
	}
	if c.Len() != 1 {
		t.Errorf("Len = %d, want 1", c.Len())
	}
}

func TestConcurrentGetsAreCoalesced(t *testing.T) {
	var calls atomic.Int32
	started := make(chan struct{})
	release := make(chan struct{})
	c := New(time.Minute, newClock().Now, func(ctx context.Context, key string) (string, error) {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-release
		return "value", nil
	})
	const n = 50
	var wg sync.WaitGroup
	results := make(chan string, n)
	get := func() {
		defer wg.Done()
		v, err := c.Get(context.Background(), "hot")
		if err != nil {
			v = "error: " + err.Error()
		}
		results <- v
	}
	wg.Add(1)
	go get()
	waitChan(t, started, "the loader to start")
	for i := 1; i < n; i++ {
		wg.Add(1)
		go get()
	}
	time.Sleep(20 * time.Millisecond) // даём горутинам встать в ожидание
	close(release)
	wg.Wait()
	close(results)
	for v := range results {
		if v != "value" {
			t.Errorf("Get returned %q, want \"value\"", v)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("loader calls for one hot key = %d, want 1", calls.Load())
	}
}

func TestErrorIsSharedByWaiters(t *testing.T) {
	var calls atomic.Int32
	started := make(chan struct{})
	release := make(chan struct{})
	c := New(time.Minute, newClock().Now, func(ctx context.Context, key string) (string, error) {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-release
		return "", errDB
	})
	errs := make(chan error, 2)
	go func() { _, err := c.Get(context.Background(), "k"); errs <- err }()
	waitChan(t, started, "the loader to start")
	go func() { _, err := c.Get(context.Background(), "k"); errs <- err }()
	time.Sleep(20 * time.Millisecond)
	close(release)
	for i := 0; i < 2; i++ {
		select {
		case err := <-errs:
			if !errors.Is(err, errDB) {
				t.Errorf("waiter got %v, want errDB", err)
			}
		case <-time.After(waitLimit):
			t.Fatal("Get did not return")
		}
	}
	if calls.Load() != 1 {
		t.Errorf("loader calls = %d, want 1", calls.Load())
	}
}

func TestDifferentKeysDoNotBlockEachOther(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := New(time.Minute, newClock().Now, func(ctx context.Context, key string) (string, error) {
		if key == "slow" {
			<-release
		}
		return key, nil
	})
	slowCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _, _ = c.Get(slowCtx, "slow") }()
	time.Sleep(10 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if v, err := c.Get(context.Background(), "fast"); err != nil || v != "fast" {
			t.Errorf("Get(fast) = %q, %v", v, err)
		}
	}()
	waitChan(t, done, "Get(fast) while another key is loading")
}

func TestWaiterReturnsOnItsOwnContextCancel(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int32
	c := New(time.Minute, newClock().Now, func(ctx context.Context, key string) (string, error) {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-release
		return "v", nil
	})
	first := make(chan string, 1)
	go func() { v, _ := c.Get(context.Background(), "k"); first <- v }()
	waitChan(t, started, "the loader to start")

	ctx, cancel := context.WithCancel(context.Background())
	waiterDone := make(chan error, 1)
	go func() { _, err := c.Get(ctx, "k"); waiterDone <- err }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	select {
	case err := <-waiterDone:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled waiter got %v, want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("cancelled waiter is still blocked while the load is in progress")
	}
	close(release)
	select {
	case v := <-first:
		if v != "v" {
			t.Errorf("first caller got %q, want \"v\"", v)
		}
	case <-time.After(waitLimit):
		t.Fatal("first caller did not get the value")
	}
	if calls.Load() != 1 {
		t.Errorf("loader calls = %d, want 1", calls.Load())
	}
}

type ctxKey struct{}

func TestFirstCallerCancelDoesNotAbortLoad(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	loaderCtxErr := make(chan error, 1)
	loaderCtxVal := make(chan any, 1)
	c := New(time.Minute, newClock().Now, func(ctx context.Context, key string) (string, error) {
		loaderCtxVal <- ctx.Value(ctxKey{})
		close(started)
		<-release
		loaderCtxErr <- ctx.Err()
		return "v", nil
	})
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "trace-42"))
	firstErr := make(chan error, 1)
	go func() { _, err := c.Get(ctx, "k"); firstErr <- err }()
	waitChan(t, started, "the loader to start")

	second := make(chan string, 1)
	go func() { v, _ := c.Get(context.Background(), "k"); second <- v }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	select {
	case err := <-firstErr:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("first caller got %v, want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("first caller did not return after cancel")
	}
	close(release)
	select {
	case v := <-second:
		if v != "v" {
			t.Errorf("second caller got %q, want \"v\"", v)
		}
	case <-time.After(waitLimit):
		t.Fatal("second caller did not get the value")
	}
	if err := <-loaderCtxErr; err != nil {
		t.Errorf("loader context was cancelled (%v): the load must survive the first caller leaving", err)
	}
	if v := <-loaderCtxVal; v != "trace-42" {
		t.Errorf("loader ctx value = %v, want values of the first caller's context", v)
	}
}

func TestInvalidateForcesReload(t *testing.T) {
	var calls atomic.Int32
	c := New(time.Minute, newClock().Now, countingLoader(&calls))
	ctx := context.Background()
	_, _ = c.Get(ctx, "k")
	c.Invalidate("k")
	c.Invalidate("missing") // не паникует
	if v, _ := c.Get(ctx, "k"); v != "k#2" {
		t.Errorf("Get after Invalidate = %q, want k#2", v)
	}
}

func TestLenCountsOnlyLiveEntries(t *testing.T) {
	clock := newClock()
	var calls atomic.Int32
	c := New(10*time.Second, clock.Now, countingLoader(&calls))
	ctx := context.Background()
	_, _ = c.Get(ctx, "a")
	clock.Advance(5 * time.Second)
	_, _ = c.Get(ctx, "b")
	if c.Len() != 2 {
		t.Fatalf("Len = %d, want 2", c.Len())
	}
	clock.Advance(5 * time.Second) // a истёк, b живёт ещё 5 с
	if c.Len() != 1 {
		t.Errorf("Len after a expired = %d, want 1", c.Len())
	}
}
