// Package envconfig заполняет структуру конфигурации из переменных окружения.
package envconfig

import (
	"errors"
	"fmt"
	"strings"
)

// LookupFunc ищет переменную окружения, как os.LookupEnv.
type LookupFunc func(key string) (string, bool)

var (
	ErrInvalidTarget   = errors.New("envconfig: target must be a non-nil pointer to a struct")
	ErrRequired        = errors.New("required variable is not set")
	ErrInvalidValue    = errors.New("invalid value")
	ErrUnsupportedType = errors.New("unsupported field type")
)

// FieldError описывает проблему с одним полем.
type FieldError struct {
	Field string // путь к полю: "DB.Port"
	Env   string // имя переменной: "DB_PORT"
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s (%s): %v", e.Field, e.Env, e.Err) }
func (e *FieldError) Unwrap() error { return e.Err }

// ConfigError собирает все ошибки полей.
type ConfigError struct{ Fields []*FieldError }

func (e *ConfigError) Error() string {
	msgs := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		msgs[i] = f.Error()
	}
	return "envconfig: " + strings.Join(msgs, "; ")
}

func (e *ConfigError) Unwrap() []error {
	errs := make([]error, len(e.Fields))
	for i, f := range e.Fields {
		errs[i] = f
	}
	return errs
}

// Load заполняет *struct dst значениями, найденными через lookup.
func Load(dst any, lookup LookupFunc) error {
	// TODO: обойдите поля через reflect, соберите ошибки в *ConfigError.
	return nil
}
