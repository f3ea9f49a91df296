package guard

import (
	"errors"
	"slices"
	"syscall"
	"unsafe"
)

// A classic BPF program for seccomp (linux/filter.h, linux/seccomp.h).
type instruction struct {
	code uint16
	jt   uint8
	jf   uint8
	k    uint32
}

type program struct {
	length uint16
	filter *instruction
}

const (
	bpfLd   = 0x00
	bpfW    = 0x00
	bpfAbs  = 0x20
	bpfJmp  = 0x05
	bpfJeq  = 0x10
	bpfJge  = 0x30
	bpfJset = 0x40
	bpfK    = 0x00
	bpfRet  = 0x06

	retKillProcess = 0x80000000
	retErrno       = 0x00050000
	retAllow       = 0x7fff0000

	prSetNoNewPrivs = 38
	prSetDumpable   = 4
	cloneThread     = 0x00010000
	setModeFilter   = 1
	filterFlagTsync = 1

	offsetNr   = 0
	offsetArch = 4
	offsetArg0 = 16 // the low 32 bits of the first argument (little-endian)
)

// rule: what a system call gets.
type rule int

const (
	deny        rule = iota // EPERM
	unsupported             // ENOSYS (clone3: Go falls back to clone)
	threadsOnly             // clone: allowed with CLONE_THREAD only
	notDumpable             // prctl: all but PR_SET_DUMPABLE
)

// assemble builds the filter: jumps go to the shared returns at the end.
func assemble(arch uint32, x32 bool, rules map[uint32]rule) []instruction {
	var code []instruction
	type jump struct {
		at      int
		onTrue  string
		onFalse string
	}
	var jumps []jump
	emit := func(i instruction) int { code = append(code, i); return len(code) - 1 }
	jumpTo := func(op uint16, k uint32, onTrue, onFalse string) {
		jumps = append(jumps, jump{emit(instruction{code: bpfJmp | op | bpfK, k: k}), onTrue, onFalse})
	}
	emit(instruction{code: bpfLd | bpfW | bpfAbs, k: offsetArch})
	jumpTo(bpfJeq, arch, "", "kill")
	emit(instruction{code: bpfLd | bpfW | bpfAbs, k: offsetNr})
	if x32 {
		jumpTo(bpfJge, 0x40000000, "eperm", "")
	}
	numbers := make([]uint32, 0, len(rules))
	for nr := range rules {
		numbers = append(numbers, nr)
	}
	slices.Sort(numbers)
	for _, nr := range numbers {
		switch rules[nr] {
		case deny:
			jumpTo(bpfJeq, nr, "eperm", "")
		case unsupported:
			jumpTo(bpfJeq, nr, "enosys", "")
		case threadsOnly:
			// if nr == clone: load flags; CLONE_THREAD set -> allow, else EPERM
			jumpTo(bpfJeq, nr, "", "+2")
			emit(instruction{code: bpfLd | bpfW | bpfAbs, k: offsetArg0})
			jumpTo(bpfJset, cloneThread, "allow", "eperm")
		case notDumpable:
			jumpTo(bpfJeq, nr, "", "+2")
			emit(instruction{code: bpfLd | bpfW | bpfAbs, k: offsetArg0})
			jumpTo(bpfJeq, prSetDumpable, "eperm", "allow")
		}
	}
	targets := map[string]int{}
	targets["allow"] = emit(instruction{code: bpfRet | bpfK, k: retAllow})
	targets["eperm"] = emit(instruction{code: bpfRet | bpfK, k: retErrno | uint32(syscall.EPERM)})
	targets["enosys"] = emit(instruction{code: bpfRet | bpfK, k: retErrno | uint32(syscall.ENOSYS)})
	targets["kill"] = emit(instruction{code: bpfRet | bpfK, k: retKillProcess})
	offset := func(from int, label string) uint8 {
		switch label {
		case "":
			return 0
		case "+2": // past the argument check that follows
			return 2
		}
		distance := targets[label] - from - 1
		if distance < 0 || distance > 255 {
			panic("seccomp program too long")
		}
		return uint8(distance)
	}
	for _, j := range jumps {
		code[j.at].jt = offset(j.at, j.onTrue)
		code[j.at].jf = offset(j.at, j.onFalse)
	}
	return code
}

func lockDown(processes bool) error {
	rules := map[uint32]rule{}
	for nr, what := range archRules {
		rules[nr] = what
	}
	if processes { // the exercise allows running programs: only tracing stays refused
		for _, nr := range processRules {
			delete(rules, nr)
		}
	}
	filter := assemble(auditArch, x32, rules)
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0, 0, 0, 0); errno != 0 {
		return errno
	}
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetDumpable, 0, 0, 0, 0, 0); errno != 0 {
		return errno
	}
	prog := program{length: uint16(len(filter)), filter: &filter[0]}
	r, _, errno := syscall.RawSyscall(sysSeccomp, setModeFilter, filterFlagTsync,
		uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return errno
	}
	if r != 0 {
		return errors.New("a thread could not take the filter")
	}
	return nil
}
