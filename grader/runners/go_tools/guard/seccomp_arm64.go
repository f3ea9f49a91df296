package guard

const (
	auditArch  = 0xc00000b7 // AUDIT_ARCH_AARCH64
	x32        = false
	sysSeccomp = 277
)

var archRules = map[uint32]rule{
	221: deny,        // execve
	281: deny,        // execveat
	220: threadsOnly, // clone
	435: unsupported, // clone3
	117: deny,        // ptrace
	270: deny,        // process_vm_readv
	271: deny,        // process_vm_writev
	438: deny,        // pidfd_getfd
	97:  deny,        // unshare
	268: deny,        // setns
	167: notDumpable, // prctl
}

// What an exercise that allows running programs still gets.
var processRules = []uint32{221, 281, 220, 435}
