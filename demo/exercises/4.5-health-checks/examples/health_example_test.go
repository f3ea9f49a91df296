package health

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestExampleReadinessReport(t *testing.T) {
	c := NewChecker(time.Second)
	c.AddReadinessCheck("postgres", func(ctx context.Context) error { return nil })
	c.AddReadinessCheck("redis", func(ctx context.Context) error { return errors.New("connection refused") })

	rec := httptest.NewRecorder()
	c.ReadyHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))

	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("code = %d, want 503", rec.Code)
	}
	want := `{"status":"fail","checks":{"postgres":{"status":"ok"},"redis":{"status":"fail","error":"connection refused"}}}`
	if got := strings.TrimSpace(rec.Body.String()); got != want {
		t.Fatalf("body =\n%s\nwant\n%s", got, want)
	}
}

func TestExampleLiveness(t *testing.T) {
	rec := httptest.NewRecorder()
	NewChecker(time.Second).LiveHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/livez", nil))
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
		t.Fatalf("liveness = %d %s", rec.Code, rec.Body.String())
	}
}
