package health

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func serve(t *testing.T, h http.Handler, method string) (*httptest.ResponseRecorder, Response) {
	t.Helper()
	req := httptest.NewRequest(method, "/readyz", nil)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(rec, req)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("handler did not respond within 2s")
	}
	var resp Response
	if method == http.MethodGet && rec.Code != http.StatusMethodNotAllowed {
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("response is not JSON: %v; body=%q", err, rec.Body.String())
		}
	}
	return rec, resp
}

func ok(context.Context) error { return nil }

func TestLivenessDoesNotRunChecks(t *testing.T) {
	c := NewChecker(time.Second)
	var called atomic.Int32
	c.AddReadinessCheck("db", func(context.Context) error { called.Add(1); return errors.New("down") })
	rec, resp := serve(t, c.LiveHandler(), http.MethodGet)
	if rec.Code != http.StatusOK || resp.Status != "ok" {
		t.Errorf("liveness = %d %+v, want 200 status ok", rec.Code, resp)
	}
	if called.Load() != 0 {
		t.Error("liveness must not call readiness checks")
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

func TestReadyAllChecksPass(t *testing.T) {
	c := NewChecker(time.Second)
	c.AddReadinessCheck("postgres", ok)
	c.AddReadinessCheck("redis", ok)
	rec, resp := serve(t, c.ReadyHandler(), http.MethodGet)
	if rec.Code != http.StatusOK || resp.Status != "ok" {
		t.Fatalf("ready = %d %q, want 200 ok", rec.Code, resp.Status)
	}
	if len(resp.Checks) != 2 || resp.Checks["postgres"].Status != "ok" || resp.Checks["redis"].Status != "ok" {
		t.Errorf("checks = %+v, want postgres and redis ok", resp.Checks)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

func TestReadyWithoutChecksIsOK(t *testing.T) {
	rec, resp := serve(t, NewChecker(time.Second).ReadyHandler(), http.MethodGet)
	if rec.Code != http.StatusOK || resp.Status != "ok" || len(resp.Checks) != 0 {
		t.Errorf("ready without checks = %d %+v, want 200 ok", rec.Code, resp)
	}
}

func TestReadyFailingCheck(t *testing.T) {
	c := NewChecker(time.Second)
	c.AddReadinessCheck("postgres", ok)
	c.AddReadinessCheck("kafka", func(context.Context) error { return errors.New("dial tcp 10.0.0.5:9092: connection refused") })
	rec, resp := serve(t, c.ReadyHandler(), http.MethodGet)
	if rec.Code != http.StatusServiceUnavailable || resp.Status != "fail" {
		t.Fatalf("ready = %d %q, want 503 fail", rec.Code, resp.Status)
	}
	want := CheckResult{Status: "fail", Error: "dial tcp 10.0.0.5:9092: connection refused"}
	if resp.Checks["kafka"] != want {
		t.Errorf("kafka = %+v, want %+v", resp.Checks["kafka"], want)
	}
	if resp.Checks["postgres"] != (CheckResult{Status: "ok"}) {
		t.Errorf("postgres = %+v, want ok without error", resp.Checks["postgres"])
	}
	if !strings.Contains(rec.Body.String(), `"error":"dial tcp`) || strings.Contains(rec.Body.String(), `"postgres":{"status":"ok","error"`) {
		t.Errorf("unexpected JSON body %s", rec.Body.String())
	}
}

func TestHungCheckIsReportedAsTimeout(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	c := NewChecker(30 * time.Millisecond)
	c.AddReadinessCheck("legacy", func(context.Context) error { <-hang; return nil }) // игнорирует ctx
	c.AddReadinessCheck("postgres", ok)
	start := time.Now()
	rec, resp := serve(t, c.ReadyHandler(), http.MethodGet)
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("handler took %v, the timeout is 30ms", elapsed)
	}
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("code = %d, want 503", rec.Code)
	}
	if resp.Checks["legacy"] != (CheckResult{Status: "fail", Error: "timeout"}) {
		t.Errorf("legacy = %+v, want fail/timeout", resp.Checks["legacy"])
	}
	if resp.Checks["postgres"].Status != "ok" {
		t.Errorf("postgres = %+v, want ok", resp.Checks["postgres"])
	}
}

func TestCheckHonouringDeadlineIsReportedAsTimeout(t *testing.T) {
	c := NewChecker(20 * time.Millisecond)
	c.AddReadinessCheck("redis", func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	_, resp := serve(t, c.ReadyHandler(), http.MethodGet)
	if resp.Checks["redis"] != (CheckResult{Status: "fail", Error: "timeout"}) {
		t.Errorf("redis = %+v, want fail/timeout", resp.Checks["redis"])
	}
}

func TestChecksRunConcurrently(t *testing.T) {
	const n = 3
	var arrived atomic.Int32
	all := make(chan struct{})
	barrier := func(ctx context.Context) error {
		if arrived.Add(1) == n {
			close(all)
		}
		select {
		case <-all:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c := NewChecker(500 * time.Millisecond)
	c.AddReadinessCheck("a", barrier)
	c.AddReadinessCheck("b", barrier)
	c.AddReadinessCheck("c", barrier)
	rec, resp := serve(t, c.ReadyHandler(), http.MethodGet)
	if rec.Code != http.StatusOK {
		t.Errorf("code = %d, checks = %+v; checks must run in parallel", rec.Code, resp.Checks)
	}
}

func TestPanickingCheckFailsGracefully(t *testing.T) {
	c := NewChecker(time.Second)
	c.AddReadinessCheck("buggy", func(context.Context) error { panic("nil pointer") })
	rec, resp := serve(t, c.ReadyHandler(), http.MethodGet)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("code = %d, want 503", rec.Code)
	}
	got := resp.Checks["buggy"]
	if got.Status != "fail" || !strings.HasPrefix(got.Error, "panic: ") || !strings.Contains(got.Error, "nil pointer") {
		t.Errorf("buggy = %+v, want fail with error \"panic: nil pointer\"", got)
	}
}

func TestShuttingDownSkipsChecks(t *testing.T) {
	c := NewChecker(time.Second)
	var called atomic.Int32
	c.AddReadinessCheck("db", func(context.Context) error { called.Add(1); return nil })
	c.SetShuttingDown()
	rec, resp := serve(t, c.ReadyHandler(), http.MethodGet)
	if rec.Code != http.StatusServiceUnavailable || resp.Status != "shutting_down" {
		t.Errorf("ready during shutdown = %d %q, want 503 shutting_down", rec.Code, resp.Status)
	}
	if called.Load() != 0 {
		t.Error("checks must not run during shutdown")
	}
	rec, _ = serve(t, c.LiveHandler(), http.MethodGet)
	if rec.Code != http.StatusOK {
		t.Errorf("liveness during shutdown = %d, want 200 (the process is still alive)", rec.Code)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	c := NewChecker(time.Second)
	for _, h := range []http.Handler{c.LiveHandler(), c.ReadyHandler()} {
		rec, _ := serve(t, h, http.MethodPost)
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST = %d, want 405", rec.Code)
		}
		if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "HEAD") {
			t.Errorf("Allow = %q, want GET and HEAD", allow)
		}
	}
}

func TestHeadHasStatusButNoBody(t *testing.T) {
	c := NewChecker(time.Second)
	c.AddReadinessCheck("db", func(context.Context) error { return errors.New("down") })
	rec, _ := serve(t, c.ReadyHandler(), http.MethodHead)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("HEAD code = %d, want 503", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("HEAD body = %q, want empty", rec.Body.String())
	}
}

func TestAddReadinessCheckReplacesByName(t *testing.T) {
	c := NewChecker(time.Second)
	c.AddReadinessCheck("db", func(context.Context) error { return errors.New("old") })
	c.AddReadinessCheck("db", ok)
	rec, resp := serve(t, c.ReadyHandler(), http.MethodGet)
	if rec.Code != http.StatusOK || len(resp.Checks) != 1 {
		t.Errorf("ready = %d %+v, want 200 with one check", rec.Code, resp)
	}
}

type reqKey struct{}

func TestChecksReceiveRequestContext(t *testing.T) {
	c := NewChecker(time.Second)
	var got atomic.Value
	var hasDeadline atomic.Bool
	c.AddReadinessCheck("db", func(ctx context.Context) error {
		got.Store(ctx.Value(reqKey{}))
		_, ok := ctx.Deadline()
		hasDeadline.Store(ok)
		return nil
	})
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	req = req.WithContext(context.WithValue(req.Context(), reqKey{}, "req-7"))
	rec := httptest.NewRecorder()
	c.ReadyHandler().ServeHTTP(rec, req)
	if got.Load() != "req-7" {
		t.Errorf("check ctx value = %v, want the request context's value", got.Load())
	}
	if !hasDeadline.Load() {
		t.Error("check ctx has no deadline, want context.WithTimeout(r.Context(), timeout)")
	}
}

func TestOverRealHTTPServer(t *testing.T) {
	c := NewChecker(time.Second)
	healthy := atomic.Bool{}
	c.AddReadinessCheck("warmup", func(context.Context) error {
		if !healthy.Load() {
			return errors.New("cache is warming up")
		}
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle("/livez", c.LiveHandler())
	mux.Handle("/readyz", c.ReadyHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	get := func(path string) (int, string) {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/livez"); code != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("/livez = %d %s", code, body)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "cache is warming up") {
		t.Errorf("/readyz while warming up = %d %s", code, body)
	}
	healthy.Store(true)
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz after warmup = %d, want 200", code)
	}
}
