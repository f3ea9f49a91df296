// Package health отдаёт liveness- и readiness-пробы для Kubernetes.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// CheckFunc проверяет одну зависимость (БД, Redis, брокер).
type CheckFunc func(ctx context.Context) error

// CheckResult — результат одной проверки в JSON-ответе.
type CheckResult struct {
	Status string `json:"status"`          // "ok" | "fail"
	Error  string `json:"error,omitempty"` // текст ошибки или "timeout"
}

// Response — тело ответа проб.
type Response struct {
	Status string                 `json:"status"` // "ok" | "fail" | "shutting_down"
	Checks map[string]CheckResult `json:"checks,omitempty"`
}

// Checker хранит проверки готовности.
type Checker struct {
	timeout  time.Duration
	mu       sync.RWMutex
	checks   map[string]CheckFunc
	shutdown atomic.Bool
}

// NewChecker создаёт Checker; timeout ограничивает каждую проверку.
func NewChecker(timeout time.Duration) *Checker {
	return &Checker{timeout: timeout, checks: make(map[string]CheckFunc)}
}

// AddReadinessCheck регистрирует (или заменяет) проверку с именем name.
func (c *Checker) AddReadinessCheck(name string, fn CheckFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checks[name] = fn
}

// SetShuttingDown переводит readiness в 503: сервис начинает остановку.
func (c *Checker) SetShuttingDown() { c.shutdown.Store(true) }

// LiveHandler отвечает 200, пока процесс жив; зависимости не проверяет.
func (c *Checker) LiveHandler() http.Handler {
	return probe(func(r *http.Request) (int, Response) {
		return http.StatusOK, Response{Status: "ok"}
	})
}

// ReadyHandler выполняет все проверки параллельно.
func (c *Checker) ReadyHandler() http.Handler {
	return probe(func(r *http.Request) (int, Response) {
		if c.shutdown.Load() {
			return http.StatusServiceUnavailable, Response{Status: "shutting_down"}
		}
		c.mu.RLock()
		checks := make(map[string]CheckFunc, len(c.checks))
		for name, fn := range c.checks {
			checks[name] = fn
		}
		c.mu.RUnlock()

		ctx, cancel := context.WithTimeout(r.Context(), c.timeout)
		defer cancel()
		resp := Response{Status: "ok", Checks: make(map[string]CheckResult, len(checks))}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for name, fn := range checks {
			wg.Add(1)
			go func(name string, fn CheckFunc) {
				defer wg.Done()
				res := runCheck(ctx, fn)
				mu.Lock()
				resp.Checks[name] = res
				mu.Unlock()
			}(name, fn)
		}
		wg.Wait()
		for _, res := range resp.Checks {
			if res.Status != "ok" {
				resp.Status = "fail"
				return http.StatusServiceUnavailable, resp
			}
		}
		return http.StatusOK, resp
	})
}

func runCheck(ctx context.Context, fn CheckFunc) CheckResult {
	done := make(chan error, 1) // буфер: зависшая проверка не заблокирует горутину навсегда
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panic: %v", r)
			}
		}()
		done <- fn(ctx)
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	switch {
	case err == nil:
		return CheckResult{Status: "ok"}
	case errors.Is(err, context.DeadlineExceeded):
		return CheckResult{Status: "fail", Error: "timeout"}
	}
	return CheckResult{Status: "fail", Error: err.Error()}
}

func probe(f func(r *http.Request) (int, Response)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		code, resp := f(r)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		if r.Method == http.MethodGet {
			_ = json.NewEncoder(w).Encode(resp)
		}
	})
}
