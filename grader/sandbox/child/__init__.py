"""What runs inside the sandbox: the zygote, the child that serves the grader, its confinement (namespaces,
Landlock, seccomp) and the probes that run next to student code. The zygote and the child load these files by
path, never as this package, and they use the standard library only (and torch, for the probes): nothing of the
grader is importable there."""
