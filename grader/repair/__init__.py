"""Repairs: for a function that fails its checks, the smallest change to its source (from an error model of the
mistakes students of this course make) that makes every check of the function pass, verified on inputs the
search never saw, and told to the student as a hint.

- ``source``: where the function is defined in the submission's cells, and a change spliced into that text;
- ``scope`` and ``rewrites``: what a function's code says (its loops, height and width names, stride) and the
  error model, the rewrites that undo one mistake each (``array_rules``, ``torch_rules``);
- ``trial``: one candidate graded in the sandbox with the function's own checks, fast ones first;
- ``search``: candidates smallest first, within a time budget; ``verify``: a found repair on fresh inputs;
- ``found``: what a repair is (results and reports read it); ``hints``: what a student or instructor reads.

The entry point is ``grader.repair.search.repair_failures``; nothing here changes a grade.
"""
