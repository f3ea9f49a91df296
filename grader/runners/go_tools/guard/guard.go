// Package guard is compiled into every Go test binary the grader builds (docs/grader.md,
// "Go: what learner code may do"). A harness file in each of the learner's packages imports
// it, so its init runs before any of the learner's variable initialisers or init functions.
//
// It does two things there, before learner code runs:
//
//   - locks the process down: no new privileges, not dumpable (its /proc/self/mem and the
//     like become root's), and a seccomp filter on every thread that refuses new programs
//     (execve), new processes (fork, vfork, clone without CLONE_THREAD), ptrace and reading
//     or writing other processes' memory;
//   - takes the report channel: a socket the grader passed in (its number in
//     ZACHET_REPORT_FD), and the run's nonce, read from it. Watch, which the instrumented
//     tests run their bodies through (Run for subtests), reports how each test ended there.
//
// Learner code cannot write to that socket: it has no *os.File for it (the static check
// refuses os.NewFile, syscall, unsafe, reflect and linkname; opening /proc/self/fd/N of a
// socket fails), and cannot import this package (refused by the static check too).
package guard

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

var (
	channel  *os.File
	nonce    string
	sequence int
	mu       sync.Mutex
	// Messages reported per kind ("say", "log") and test: a test that fails in a loop reports
	// its first few.
	said = map[string]int{}
	// Tests that have ended: a message of theirs after that (a goroutine the test left
	// behind logging) is not sent, since the grader takes one as a forged report.
	ended = map[string]bool{}
)

const (
	maxMessages     = 10
	maxMessageBytes = 2000
)

func init() {
	processes := os.Getenv("ZACHET_ALLOW_PROCESSES") == "1"
	if err := lockDown(processes); err != nil {
		fail("cannot install the sandbox filter: " + err.Error())
	}
	fd, err := strconv.Atoi(os.Getenv("ZACHET_REPORT_FD"))
	if err != nil || fd < 3 {
		fail("no report channel")
	}
	syscall.CloseOnExec(fd)
	channel = os.NewFile(uintptr(fd), "zachet-report")
	buffer := make([]byte, 32)
	read := 0
	for read < len(buffer) {
		n, err := channel.Read(buffer[read:])
		if err != nil {
			fail("no nonce on the report channel")
		}
		read += n
	}
	nonce = string(buffer)
	os.Unsetenv("ZACHET_REPORT_FD")
	os.Unsetenv("ZACHET_ALLOW_PROCESSES")
	send("ready", "") // the grader knows the guard stood before any learner code ran
}

func fail(reason string) {
	os.Stderr.WriteString("zachet-guard: " + reason + "\n")
	os.Exit(125)
}

// Watch runs a test's body (the instrumented test function's body, moved into a closure on
// the same lines) and reports the test's start now and how it ended once it and its subtests
// are done. Its cleanup is registered first, so it runs last, after the test's own.
//
// A test passes only when its body returned normally and nothing failed it: testing runs
// cleanups before it marks a panicking test failed, so t.Failed alone would let a panic pass.
func Watch(t *testing.T, body func()) {
	name := t.Name()
	send("run", name)
	var finished atomic.Bool
	t.Cleanup(func() {
		status := "pass"
		switch {
		case t.Skipped() && !t.Failed():
			status = "skip"
		case t.Failed() || !finished.Load():
			status = "fail"
		}
		mu.Lock()
		defer mu.Unlock()
		ended[name] = true
		sendLocked(status, name)
	})
	body()
	finished.Store(true)
}

// Run is t.Run with the subtest watched.
func Run(t *testing.T, name string, f func(t *testing.T)) bool {
	return t.Run(name, func(t *testing.T) {
		Watch(t, func() { f(t) })
	})
}

// Error, Errorf, Fatal and Fatalf are t's methods of the same names (the instrumented test
// files call these instead, on the same lines): the message also goes over the channel, as
// "<file>:<line>: <text>", so the grader takes a test's failure messages from there, never
// from output learner code can write to as well.
func Error(t testing.TB, args ...any) {
	t.Helper()
	t.Error(report(t, "say", sprint(args)))
}

func Errorf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Error(report(t, "say", fmt.Sprintf(format, args...)))
}

func Fatal(t testing.TB, args ...any) {
	t.Helper()
	t.Fatal(report(t, "say", sprint(args)))
}

func Fatalf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Fatal(report(t, "say", fmt.Sprintf(format, args...)))
}

// Fail and FailNow are t's methods of the same names: the channel hears that the test failed
// there, with the line, in words the grader knows ("the test failed (t.Fail)"), so that the
// page can say it in the learner's language. (A method value, f := t.Fail, is not seen.)
func Fail(t testing.TB) {
	t.Helper()
	report(t, "say", "the test failed (t.Fail)")
	t.Fail()
}

func FailNow(t testing.TB) {
	t.Helper()
	report(t, "say", "the test failed (t.FailNow)")
	t.FailNow()
}

// Log and Logf are t's methods of the same names: the text also goes over the channel (as
// "log"), so that a test that logs what is wrong and then calls t.Fail shows it as its
// message. A test that passes shows none of it.
func Log(t testing.TB, args ...any) {
	t.Helper()
	t.Log(report(t, "log", sprint(args)))
}

func Logf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Log(report(t, "log", fmt.Sprintf(format, args...)))
}

// sprint formats args as t.Log and t.Error do (fmt.Sprintln, without its newline).
func sprint(args []any) string {
	return strings.TrimSuffix(fmt.Sprintln(args...), "\n")
}

// report sends a message of t's as `status` ("say": a failure's; "log": t.Log's), with the
// line that called Error...Logf, and returns it as given (for t's own method).
func report(t testing.TB, status, text string) string {
	original := text
	name := t.Name()
	if _, file, line, ok := runtime.Caller(2); ok {
		text = filepath.Base(file) + ":" + strconv.Itoa(line) + ": " + text
	}
	if len(text) > maxMessageBytes {
		text = text[:maxMessageBytes] + "..."
	}
	// (a value printed with %s may hold any bytes: the grader reads UTF-8; a rune cut above too)
	text = strings.ToValidUTF8(text, "\uFFFD")
	mu.Lock()
	defer mu.Unlock()
	said[status+" "+name]++
	if said[status+" "+name] <= maxMessages && !ended[name] {
		sendLocked(status, name+"\x00"+text)
	}
	return original
}

func send(status, name string) {
	mu.Lock()
	defer mu.Unlock()
	sendLocked(status, name)
}

// sendLocked writes one report line; mu is held (a message is checked against its test's
// end and sent in one step).
func sendLocked(status, name string) {
	sequence++
	line := nonce + " " + strconv.Itoa(sequence) + " " + status + " " +
		hex.EncodeToString([]byte(name)) + "\n"
	if _, err := channel.Write([]byte(line)); err != nil {
		fail("report channel: " + err.Error())
	}
}
