package guard

const (
	auditArch  = 0xc000003e // AUDIT_ARCH_X86_64
	x32        = true       // x32 system calls (nr | 0x40000000) are refused
	sysSeccomp = 317
)

var archRules = map[uint32]rule{
	59:  deny,        // execve
	322: deny,        // execveat
	57:  deny,        // fork
	58:  deny,        // vfork
	56:  threadsOnly, // clone
	435: unsupported, // clone3
	101: deny,        // ptrace
	310: deny,        // process_vm_readv
	311: deny,        // process_vm_writev
	438: deny,        // pidfd_getfd
	272: deny,        // unshare
	308: deny,        // setns
	157: notDumpable, // prctl
}

// What an exercise that allows running programs still gets.
var processRules = []uint32{59, 322, 57, 58, 56, 435}
