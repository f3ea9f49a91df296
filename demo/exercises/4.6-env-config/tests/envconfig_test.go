package envconfig

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) LookupFunc {
	return func(key string) (string, bool) {
		v, ok := kv[key]
		return v, ok
	}
}

func mustLoad(t *testing.T, dst any, kv map[string]string) {
	t.Helper()
	if err := Load(dst, env(kv)); err != nil {
		t.Fatalf("Load() = %v, want <nil>", err)
	}
}

func fieldErrors(t *testing.T, err error) []*FieldError {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not *ConfigError", err, err)
	}
	return ce.Fields
}

type scalars struct {
	Name    string        `env:"NAME"`
	Port    int           `env:"PORT"`
	Workers int32         `env:"WORKERS"`
	Debug   bool          `env:"DEBUG"`
	Ratio   float64       `env:"RATIO"`
	Timeout time.Duration `env:"TIMEOUT"`
	MaxSize uint16        `env:"MAX_SIZE"`
}

// testRunnerTaskID=1
func TestScalarTypes(t *testing.T) {
	var c scalars
	mustLoad(t, &c, map[string]string{
		"NAME": "orders", "PORT": "8080", "WORKERS": "-4", "DEBUG": "true",
		"RATIO": "0.25", "TIMEOUT": "1m30s", "MAX_SIZE": "65535",
	})
	want := scalars{Name: "orders", Port: 8080, Workers: -4, Debug: true, Ratio: 0.25, Timeout: 90 * time.Second, MaxSize: 65535}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
}

// testRunnerTaskID=1
func TestBoolSpellings(t *testing.T) {
	for raw, want := range map[string]bool{"1": true, "t": true, "TRUE": true, "0": false, "false": false, "F": false} {
		c := scalars{Debug: !want}
		mustLoad(t, &c, map[string]string{"DEBUG": raw})
		if c.Debug != want {
			t.Errorf("DEBUG=%q → %v, want %v", raw, c.Debug, want)
		}
	}
}

type lists struct {
	Origins []string `env:"ORIGINS"`
	Brokers []string `env:"BROKERS"`
}

// testRunnerTaskID=1
func TestStringSlices(t *testing.T) {
	var c lists
	mustLoad(t, &c, map[string]string{"ORIGINS": " https://a.example , https://b.example,,", "BROKERS": ""})
	if !reflect.DeepEqual(c.Origins, []string{"https://a.example", "https://b.example"}) {
		t.Errorf("Origins = %q, want trimmed items without empties", c.Origins)
	}
	if c.Brokers == nil || len(c.Brokers) != 0 {
		t.Errorf("Brokers = %#v, want an empty non-nil slice for an empty variable", c.Brokers)
	}
}

type withDefaults struct {
	Addr    string        `env:"HTTP_ADDR" default:":8080"`
	Timeout time.Duration `env:"HTTP_TIMEOUT" default:"5s"`
	Env     string        `env:"APP_ENV" default:"dev" required:"true"`
	DSN     string        `env:"DATABASE_URL" required:"true"`
	Prefill string        `env:"PREFILL"`
}

// testRunnerTaskID=2
func TestDefaultsAppliedWhenUnset(t *testing.T) {
	c := withDefaults{Prefill: "keep me"}
	mustLoad(t, &c, map[string]string{"DATABASE_URL": "postgres://db/app", "HTTP_TIMEOUT": "2s"})
	want := withDefaults{Addr: ":8080", Timeout: 2 * time.Second, Env: "dev", DSN: "postgres://db/app", Prefill: "keep me"}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
}

// testRunnerTaskID=2
func TestSetButEmptyIsNotUnset(t *testing.T) {
	var c withDefaults
	mustLoad(t, &c, map[string]string{"DATABASE_URL": "", "HTTP_ADDR": ""})
	if c.Addr != "" {
		t.Errorf("HTTP_ADDR set to \"\" must override the default, got %q", c.Addr)
	}
	if c.DSN != "" {
		t.Errorf("DSN = %q, want \"\"", c.DSN)
	}
	if c.Env != "dev" || c.Timeout != 5*time.Second {
		t.Errorf("unset variables must still get defaults, got Env=%q Timeout=%v", c.Env, c.Timeout)
	}
}

// testRunnerTaskID=2
func TestRequiredMissing(t *testing.T) {
	var c withDefaults
	err := Load(&c, env(map[string]string{}))
	if !errors.Is(err, ErrRequired) {
		t.Fatalf("Load = %v, want an error matching ErrRequired", err)
	}
	fe := fieldErrors(t, err)
	if len(fe) != 1 || fe[0].Field != "DSN" || fe[0].Env != "DATABASE_URL" {
		t.Errorf("field errors = %+v, want only DSN (DATABASE_URL): required with a default is satisfied by the default", fe)
	}
}

type dbConfig struct {
	Host     string `env:"HOST" default:"localhost"`
	Port     int    `env:"PORT" default:"5432"`
	Password string `env:"PASSWORD" required:"true"`
	Pool     struct {
		MaxConns int `env:"MAX_CONNS" default:"10"`
	} `prefix:"POOL_"`
}

type nested struct {
	Port  int      `env:"PORT" default:"8080"`
	DB    dbConfig `prefix:"DB_"`
	Cache struct {
		TTL time.Duration `env:"CACHE_TTL" default:"1m"`
	}
	internal string `env:"INTERNAL"`
}

// testRunnerTaskID=2
func TestNestedStructsWithPrefix(t *testing.T) {
	var c nested
	mustLoad(t, &c, map[string]string{
		"PORT": "9000", "DB_PORT": "6432", "DB_PASSWORD": "s3cret",
		"DB_POOL_MAX_CONNS": "25", "CACHE_TTL": "30s", "INTERNAL": "x",
	})
	if c.Port != 9000 || c.DB.Port != 6432 || c.DB.Host != "localhost" || c.DB.Password != "s3cret" {
		t.Errorf("got %+v", c)
	}
	if c.DB.Pool.MaxConns != 25 {
		t.Errorf("DB.Pool.MaxConns = %d, want 25 (prefixes compose: DB_POOL_MAX_CONNS)", c.DB.Pool.MaxConns)
	}
	if c.Cache.TTL != 30*time.Second {
		t.Errorf("Cache.TTL = %v, want 30s (nested struct without prefix)", c.Cache.TTL)
	}
	if c.internal != "" {
		t.Error("unexported fields must be skipped")
	}
}

// testRunnerTaskID=3
func TestInvalidTarget(t *testing.T) {
	var c scalars
	var nilPtr *scalars
	n := 5
	for name, dst := range map[string]any{"struct value": c, "nil pointer": nilPtr, "pointer to int": &n, "nil": nil} {
		if err := Load(dst, env(nil)); !errors.Is(err, ErrInvalidTarget) {
			t.Errorf("%s: Load = %v, want ErrInvalidTarget", name, err)
		}
	}
}

// testRunnerTaskID=3
func TestInvalidValuesAreAllReported(t *testing.T) {
	var c scalars
	err := Load(&c, env(map[string]string{
		"NAME": "ok", "PORT": "eighty", "DEBUG": "yes please", "TIMEOUT": "10", "MAX_SIZE": "70000", "WORKERS": "3",
	}))
	if !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("Load = %v, want ErrInvalidValue", err)
	}
	fe := fieldErrors(t, err)
	var got []string
	for _, f := range fe {
		got = append(got, f.Field+"/"+f.Env)
		if !errors.Is(f, ErrInvalidValue) {
			t.Errorf("%s: %v does not wrap ErrInvalidValue", f.Field, f.Err)
		}
	}
	want := []string{"Port/PORT", "Debug/DEBUG", "Timeout/TIMEOUT", "MaxSize/MAX_SIZE"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("field errors = %v, want %v (all invalid fields, in declaration order)", got, want)
	}
	if c.Workers != 3 || c.Name != "ok" {
		t.Errorf("valid fields must still be filled, got %+v", c)
	}
}

// testRunnerTaskID=3
func TestErrorMessageAndUnwrap(t *testing.T) {
	var c nested
	err := Load(&c, env(map[string]string{"DB_PORT": "x"}))
	fe := fieldErrors(t, err)
	if len(fe) != 2 {
		t.Fatalf("got %d field errors (%v), want 2", len(fe), err)
	}
	if fe[0].Field != "DB.Port" || fe[0].Env != "DB_PORT" || fe[1].Field != "DB.Password" || fe[1].Env != "DB_PASSWORD" {
		t.Errorf("fields = %+v %+v, want DB.Port (DB_PORT) then DB.Password (DB_PASSWORD)", fe[0], fe[1])
	}
	if !errors.Is(err, ErrInvalidValue) || !errors.Is(err, ErrRequired) {
		t.Error("ConfigError must unwrap to every field error")
	}
	msg := err.Error()
	for _, part := range []string{"DB.Port", "DB_PORT", "DB.Password", "DB_PASSWORD"} {
		if !strings.Contains(msg, part) {
			t.Errorf("message %q does not mention %s", msg, part)
		}
	}
	if !strings.Contains(fe[0].Error(), `"x"`) {
		t.Errorf("invalid value message %q should quote the raw value", fe[0].Error())
	}
}

// testRunnerTaskID=3
func TestOverflowAndUnsupportedTypes(t *testing.T) {
	var small struct {
		Level int8 `env:"LEVEL"`
	}
	if err := Load(&small, env(map[string]string{"LEVEL": "300"})); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("int8 = 300: Load = %v, want ErrInvalidValue", err)
	}
	var odd struct {
		Limits map[string]int `env:"LIMITS"`
		IDs    []int          `env:"IDS"`
		Unset  chan int       `env:"UNSET"`
	}
	err := Load(&odd, env(map[string]string{"LIMITS": "a=1", "IDS": "1,2"}))
	if !errors.Is(err, ErrUnsupportedType) {
		t.Fatalf("Load = %v, want ErrUnsupportedType", err)
	}
	if fe := fieldErrors(t, err); len(fe) != 2 {
		t.Errorf("got %d errors, want 2 (an unset variable of an unsupported type is not an error)", len(fe))
	}
}

// testRunnerTaskID=3
func TestInvalidDefaultIsReported(t *testing.T) {
	var c struct {
		Timeout time.Duration `env:"TIMEOUT" default:"five seconds"`
	}
	err := Load(&c, env(nil))
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Load = %v, want ErrInvalidValue for a bad default", err)
	}
}
