// Package envconfig заполняет структуру конфигурации из переменных окружения.
package envconfig

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
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
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ErrInvalidTarget
	}
	var errs []*FieldError
	load(v.Elem(), "", "", lookup, &errs)
	if len(errs) > 0 {
		return &ConfigError{Fields: errs}
	}
	return nil
}

func load(v reflect.Value, path, prefix string, lookup LookupFunc, errs *[]*FieldError) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, hasEnv := sf.Tag.Lookup("env")
		if !hasEnv {
			if sf.Type.Kind() == reflect.Struct {
				load(v.Field(i), path+sf.Name+".", prefix+sf.Tag.Get("prefix"), lookup, errs)
			}
			continue
		}
		fe := &FieldError{Field: path + sf.Name, Env: prefix + name}
		raw, ok := lookup(fe.Env)
		if !ok {
			raw, ok = sf.Tag.Lookup("default")
		}
		if !ok {
			if sf.Tag.Get("required") == "true" {
				fe.Err = ErrRequired
				*errs = append(*errs, fe)
			}
			continue
		}
		if err := setValue(v.Field(i), raw); err != nil {
			fe.Err = err
			*errs = append(*errs, fe)
		}
	}
}

func setValue(fv reflect.Value, raw string) error {
	invalid := func(err error) error { return fmt.Errorf("%w %q: %v", ErrInvalidValue, raw, err) }
	switch kind := fv.Kind(); {
	case fv.Type() == reflect.TypeOf(time.Duration(0)): // проверяем до Int64: у Duration тот же Kind
		d, err := time.ParseDuration(raw)
		if err != nil {
			return invalid(err)
		}
		fv.SetInt(int64(d))
	case kind == reflect.String:
		fv.SetString(raw)
	case kind == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return invalid(err)
		}
		fv.SetBool(b)
	case kind >= reflect.Int && kind <= reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, fv.Type().Bits())
		if err != nil {
			return invalid(err)
		}
		fv.SetInt(n)
	case kind >= reflect.Uint && kind <= reflect.Uint64:
		n, err := strconv.ParseUint(raw, 10, fv.Type().Bits())
		if err != nil {
			return invalid(err)
		}
		fv.SetUint(n)
	case kind == reflect.Float32 || kind == reflect.Float64:
		f, err := strconv.ParseFloat(raw, fv.Type().Bits())
		if err != nil {
			return invalid(err)
		}
		fv.SetFloat(f)
	case kind == reflect.Slice:
		if fv.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("%w: %s", ErrUnsupportedType, fv.Type())
		}
		items := []string{}
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		fv.Set(reflect.ValueOf(items).Convert(fv.Type()))
	default:
		return fmt.Errorf("%w: %s", ErrUnsupportedType, fv.Type())
	}
	return nil
}
