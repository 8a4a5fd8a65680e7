"""The warm grader: a per-user daemon that keeps torch, the suites, the oracles and the sandbox's zygote loaded, so
that a repeated `grader check` (and a notebook's `grader.check`) grades in about a second.

- ``place``: where a daemon is found: one per install (Python, grader, reference and course folders), through a
  socket in a folder only its user can enter; and the fingerprint of the code it loaded.
- ``frames``: the messages on that socket (length-prefixed JSON), and who is at the other end (``SO_PEERCRED``).
- ``codec``: a grade report (and the settings) as JSON and back, exactly.
- ``daemon``: the server: grades one request at a time, exactly as a cold run does, and stops when idle, when
  asked, or when the grader's files change.
- ``client``: finds or starts the daemon and asks it; any trouble, and the caller grades cold.
- ``watch``: `grader watch`, a re-check on every save.

Student code never runs in the daemon: it grades through the same sandbox (children forked from its zygote).
"""
