package breaker

import (
	"errors"
	"testing"
	"time"
)

func TestExampleProtectsDatabase(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	b := New(Settings{
		FailureThreshold: 2,
		OpenTimeout:      30 * time.Second,
		Now:              func() time.Time { return now },
	})
	dbDown := errors.New("connection refused")
	query := func() error { return dbDown }

	_ = b.Execute(query)
	_ = b.Execute(query)
	if b.State() != Open {
		t.Fatalf("after 2 failures state = %v, want open", b.State())
	}
	if err := b.Execute(query); !errors.Is(err, ErrOpen) {
		t.Fatalf("open breaker: Execute() = %v, want ErrOpen (fail fast)", err)
	}

	now = now.Add(30 * time.Second) // БД отдохнула
	if b.State() != HalfOpen {
		t.Fatalf("after OpenTimeout state = %v, want half-open", b.State())
	}
	if err := b.Execute(func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if b.State() != Closed {
		t.Fatalf("after a successful probe state = %v, want closed", b.State())
	}
}
