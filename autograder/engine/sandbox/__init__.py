"""The process that runs a student's code: the Linux set-up and limits
(process), the seccomp filter, the child program (child) and the reading of
the code for what no tripwire catches (review)."""
