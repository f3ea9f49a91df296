// Package breaker реализует circuit breaker для вызовов удалённых сервисов.
package breaker

import (
	"errors"
	"time"
)

// State — состояние автомата.
type State int

const (
	Closed State = iota
	Open
	HalfOpen
)

var stateNames = [...]string{Closed: "closed", Open: "open", HalfOpen: "half-open"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "unknown"
	}
	return stateNames[s]
}

// ErrOpen и ErrTooManyRequests возвращает Execute, не вызывая fn.
var ErrOpen = errors.New("circuit breaker is open")
var ErrTooManyRequests = errors.New("circuit breaker: too many requests in half-open state")

// Settings — параметры breaker; нулевые значения заменяются значениями по умолчанию.
type Settings struct {
	FailureThreshold int                  // подряд идущих неудач до размыкания (5)
	OpenTimeout      time.Duration        // сколько оставаться в Open (30s)
	HalfOpenMaxCalls int                  // пробных вызовов в HalfOpen (1)
	IsFailure        func(err error) bool // nil: err != nil
	OnStateChange    func(from, to State) // вызывается под блокировкой breaker
	Now              func() time.Time     // nil: time.Now
}

// Breaker — потокобезопасный circuit breaker.
type Breaker struct {
	// TODO: поля.
}

// New создаёт breaker в состоянии Closed.
func New(s Settings) *Breaker {
	return &Breaker{}
}

// State возвращает текущее состояние (Open превращается в HalfOpen по истечении OpenTimeout).
func (b *Breaker) State() State {
	// TODO
	return Closed
}

// Execute вызывает fn, если breaker её пропускает, и учитывает результат.
func (b *Breaker) Execute(fn func() error) error {
	// TODO
	return errors.New("not implemented")
}
