package pool

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestExampleGracefulShutdown(t *testing.T) {
	p := New(2, 10)
	var sent atomic.Int32
	for i := 0; i < 5; i++ {
		if err := p.Submit(func(ctx context.Context) {
			time.Sleep(2 * time.Millisecond) // отправка письма
			sent.Add(1)
		}); err != nil {
			t.Fatal(err)
		}
	}

	// Пришёл SIGTERM: даём пулу 1 секунду дообработать принятые задачи.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v, want nil", err)
	}
	if sent.Load() != 5 {
		t.Fatalf("emails sent = %d, want 5", sent.Load())
	}
	if err := p.Submit(func(ctx context.Context) {}); err != ErrClosed {
		t.Fatalf("Submit after Shutdown = %v, want ErrClosed", err)
	}
}
