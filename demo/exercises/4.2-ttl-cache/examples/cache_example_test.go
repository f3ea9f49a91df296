package cache

import (
	"context"
	"testing"
	"time"
)

func TestExampleReadThrough(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	calls := 0
	c := New(time.Minute, clock, func(ctx context.Context, key string) (string, error) {
		calls++
		return "profile of " + key, nil
	})
	v, err := c.Get(context.Background(), "42")
	if err != nil || v != "profile of 42" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	_, _ = c.Get(context.Background(), "42")
	if calls != 1 {
		t.Fatalf("loader calls = %d, want 1 (second Get must hit the cache)", calls)
	}
	now = now.Add(time.Minute) // TTL истёк
	_, _ = c.Get(context.Background(), "42")
	if calls != 2 {
		t.Fatalf("loader calls = %d, want 2 after TTL", calls)
	}
}
