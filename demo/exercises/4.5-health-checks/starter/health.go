// Package health отдаёт liveness- и readiness-пробы для Kubernetes.
package health

import (
	"context"
	"net/http"
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
	// TODO: поля.
}

// NewChecker создаёт Checker; timeout ограничивает каждую проверку.
func NewChecker(timeout time.Duration) *Checker {
	return &Checker{}
}

// AddReadinessCheck регистрирует (или заменяет) проверку с именем name.
func (c *Checker) AddReadinessCheck(name string, fn CheckFunc) {}

// SetShuttingDown переводит readiness в 503: сервис начинает остановку.
func (c *Checker) SetShuttingDown() {}

// LiveHandler отвечает 200, пока процесс жив; зависимости не проверяет.
func (c *Checker) LiveHandler() http.Handler {
	return notImplemented()
}

// ReadyHandler выполняет все проверки параллельно.
func (c *Checker) ReadyHandler() http.Handler {
	return notImplemented()
}

func notImplemented() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not implemented", http.StatusNotImplemented)
	})
}
