// Package breaker реализует circuit breaker для вызовов удалённых сервисов.
package breaker

import (
	"cmp"
	"errors"
	"sync"
	"time"
)

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
	s          Settings
	mu         sync.Mutex
	state      State
	generation uint64    // растёт при каждой смене состояния
	failures   int       // неудач подряд в Closed
	probes     int       // пропущено пробных вызовов в HalfOpen
	successes  int       // из них успешных
	openedAt   time.Time // момент перехода в Open
}

// New создаёт breaker в состоянии Closed.
func New(s Settings) *Breaker {
	// cmp.Or возвращает первый ненулевой аргумент; max(x, 0) превращает отрицательные в 0.
	s.FailureThreshold = cmp.Or(max(s.FailureThreshold, 0), 5)
	s.OpenTimeout = cmp.Or(max(s.OpenTimeout, 0), 30*time.Second)
	s.HalfOpenMaxCalls = cmp.Or(max(s.HalfOpenMaxCalls, 0), 1)
	if s.IsFailure == nil {
		s.IsFailure = func(err error) bool { return err != nil }
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	return &Breaker{s: s}
}

// State возвращает текущее состояние (Open превращается в HalfOpen по истечении OpenTimeout).
func (b *Breaker) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refresh()
	return b.state
}

// Execute вызывает fn, если breaker её пропускает, и учитывает результат.
func (b *Breaker) Execute(fn func() error) error {
	gen, err := b.before()
	if err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			b.after(gen, false) // паника — тоже неудача
			panic(r)
		}
	}()
	err = fn()
	b.after(gen, !b.s.IsFailure(err))
	return err
}

func (b *Breaker) before() (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refresh()
	switch b.state {
	case Open:
		return 0, ErrOpen
	case HalfOpen:
		if b.probes >= b.s.HalfOpenMaxCalls {
			return 0, ErrTooManyRequests
		}
		b.probes++
	}
	return b.generation, nil
}

func (b *Breaker) after(gen uint64, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if gen != b.generation {
		return // результат вызова из прошлого поколения (до смены состояния) не учитывается
	}
	switch b.state {
	case Closed:
		if ok {
			b.failures = 0
		} else if b.failures++; b.failures >= b.s.FailureThreshold {
			b.setState(Open)
		}
	case HalfOpen:
		if !ok {
			b.setState(Open)
		} else if b.successes++; b.successes >= b.s.HalfOpenMaxCalls {
			b.setState(Closed)
		}
	}
}

func (b *Breaker) refresh() {
	if b.state == Open && !b.s.Now().Before(b.openedAt.Add(b.s.OpenTimeout)) {
		b.setState(HalfOpen)
	}
}

func (b *Breaker) setState(to State) {
	from := b.state
	b.state = to
	b.generation++
	b.failures, b.probes, b.successes = 0, 0, 0
	if to == Open {
		b.openedAt = b.s.Now()
	}
	if b.s.OnStateChange != nil {
		b.s.OnStateChange(from, to)
	}
}
